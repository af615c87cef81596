"""What safety lets higher apps react to, without knowing them (``gameplatform.core.hooks``).

Called inside the change's transaction, so what a reaction writes (a webhook's outbox row)
commits or rolls back with it.

- ``sanction_imposed(sanction)``: a sanction was imposed (staff, a report's resolution, automation).
- ``sanction_lifted(sanction)``: a running sanction was lifted (staff, or an appeal reversed it).
- ``report_filed(report)``: a player filed a new report (not the repeat of an open one).
"""

from gameplatform.core.hooks import Hook
from safety.models import Report, Sanction

sanction_imposed: Hook[[Sanction], None] = Hook("sanction_imposed")
sanction_lifted: Hook[[Sanction], None] = Hook("sanction_lifted")
report_filed: Hook[[Report], None] = Hook("report_filed")
