from django.urls import path

from safety import apis

urlpatterns = [
    path("reports/", apis.ReportListApi.as_view(), name="report-list"),
    path("sanctions/", apis.SanctionListApi.as_view(), name="sanction-list"),
    path("sanctions/<id:sanction_id>/appeal/", apis.AppealApi.as_view(), name="sanction-appeal"),
    path("moderation/reports/", apis.ModerationReportListApi.as_view(), name="moderation-reports"),
    path(
        "moderation/reports/<id:report_id>/resolve/",
        apis.ModerationReportResolveApi.as_view(),
        name="moderation-report-resolve",
    ),
    path(
        "moderation/reports/<id:report_id>/claim/",
        apis.ModerationReportClaimApi.as_view(),
        name="moderation-report-claim",
    ),
    path(
        "moderation/reports/<id:report_id>/unclaim/",
        apis.ModerationReportUnclaimApi.as_view(),
        name="moderation-report-unclaim",
    ),
    path("moderation/sanctions/", apis.ModerationSanctionApi.as_view(), name="moderation-sanctions"),
    path(
        "moderation/sanctions/<id:sanction_id>/lift/",
        apis.ModerationSanctionLiftApi.as_view(),
        name="moderation-sanction-lift",
    ),
    path("moderation/appeals/", apis.ModerationAppealListApi.as_view(), name="moderation-appeals"),
    path(
        "moderation/appeals/<id:appeal_id>/decide/",
        apis.ModerationAppealDecideApi.as_view(),
        name="moderation-appeal-decide",
    ),
    path("moderation/transparency/", apis.TransparencyApi.as_view(), name="moderation-transparency"),
    path("moderation/users/<id:user_id>/consent/", apis.ModerationConsentApi.as_view(), name="moderation-consent"),
]
