from gameplatform.http import serializers
from leaderboards.models import SLUG, Leaderboard

INT64 = {"min_value": -(2**63), "max_value": 2**63 - 1}


class BoardUserOutput(serializers.UserReference):
    pass


class BoardFieldsInput(serializers.Serializer):
    id = serializers.CharField(max_length=64, validators=[SLUG], help_text="a slug: a-z, 0-9, - and _")
    sort = serializers.ChoiceField(choices=Leaderboard.Sort.choices, default="desc")
    operator = serializers.ChoiceField(choices=Leaderboard.Operator.choices, default="best")
    authoritative = serializers.BooleanField(default=False)
    metadata = serializers.JSONField(required=False, default=dict)


class BoardInput(BoardFieldsInput):
    reset = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=100, help_text="5-field cron (UTC) or null"
    )


class BoardOutput(serializers.ModelSerializer):
    reset = serializers.SerializerMethodField()

    class Meta:
        model = Leaderboard
        fields = [
            "id",
            "sort",
            "operator",
            "reset",
            "authoritative",
            "metadata",
            "period",
            "period_started_at",
            "next_reset_at",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {"period": {"help_text": "How many resets happened; records of earlier periods are archived"}}

    def get_reset(self, board) -> str | None:
        return board.reset or None


class BoardRecordInput(serializers.Serializer):
    score = serializers.IntegerField(**INT64)
    metadata = serializers.JSONField(required=False, default=dict, help_text="at most 2 KiB of JSON")


class BoardRecordOutput(serializers.Serializer):
    rank = serializers.IntegerField()
    user = BoardUserOutput(source="record.user")
    score = serializers.IntegerField(source="record.score")
    metadata = serializers.JSONField(source="record.metadata")
    reached_at = serializers.DateTimeField(source="record.reached_at", help_text="When this score was first reached")
    updated_at = serializers.DateTimeField(source="record.updated_at")


class RecordPageOutput(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The rows ranked after these (null: none)")
    previous = serializers.URLField(allow_null=True, help_text="The rows ranked before these (null: none)")
    results = BoardRecordOutput(many=True)


class RecordPageInput(serializers.Serializer):
    """Where a page starts: the ``next`` and ``previous`` links of a page set one of them."""

    after = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    before = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)

    def validate(self, data):
        if "after" in data and "before" in data:
            raise serializers.ValidationError({"before": ["Give after or before, not both."]})
        return data


class RewardInput(serializers.Serializer):
    rank_from = serializers.IntegerField(min_value=1)
    rank_to = serializers.IntegerField(min_value=1)
    gold = serializers.IntegerField(min_value=1, max_value=10**9)

    def validate(self, data):
        if data["rank_to"] < data["rank_from"]:
            raise serializers.ValidationError("rank_to is below rank_from.")
        return data


class TournamentInput(BoardFieldsInput):
    title = serializers.CharField(max_length=100, required=False, default="")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    max_entries = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    entry_fee = serializers.IntegerField(min_value=0, max_value=10**9, default=0, help_text="gold")
    rewards = RewardInput(many=True, required=False, default=list)


class TournamentOutput(serializers.Serializer):
    id = serializers.CharField(source="board_id")
    title = serializers.CharField()
    sort = serializers.CharField(source="board.sort")
    operator = serializers.CharField(source="board.operator")
    authoritative = serializers.BooleanField(source="board.authoritative")
    metadata = serializers.JSONField(source="board.metadata")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    max_entries = serializers.IntegerField(allow_null=True)
    entry_fee = serializers.IntegerField()
    rewards = serializers.JSONField()
    entry_count = serializers.IntegerField()
    status = serializers.CharField(help_text="upcoming, open, paying (over, rewards on their way) or ended")
    joined = serializers.BooleanField(help_text="Whether I entered")
    ended_at = serializers.DateTimeField(allow_null=True)
