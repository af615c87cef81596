"""Live events: a value, overrides of flags and an audience for a time, once or recurring
(``docs/liveops.md``, "Live events")."""
