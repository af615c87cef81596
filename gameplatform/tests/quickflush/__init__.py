"""A test-only app (``gameplatform.test_settings`` lists it first): its ``flush`` command empties
only what a test filled. Django's ``TransactionTestCase`` (``django_db(transaction=True)``) ends
every test with ``flush``, which truncates all of the project's 101 tables and then runs
``post_migrate`` (content types, permissions, the staff roles) again: 2 to 4 s a test on this
machine, most of it PostgreSQL making a new file for each table, paid by over a thousand tests."""
