"""What tests share, as plain modules: settings and databases for a test, the bot in process
or served, the steps a person takes in Slack, and what to read back. Fixtures live in the
conftest.py files and only call into here."""
