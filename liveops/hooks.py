"""What live operations lets higher apps react to, without knowing them (``gameplatform.core.hooks``).

- ``flag_changed(name, action, flag)``: a flag was created, updated, rolled back or deleted
  (``action``: ``created`` / ``updated`` / ``rolled_back`` / ``deleted``; ``flag`` its
  ``{name, description, defaultValue, rules}`` after the change, the last one for a deletion), in
  the change's transaction.
"""

from gameplatform.core.hooks import Hook

flag_changed: Hook[[str, str, dict], None] = Hook("flag_changed")
