"""Repository-wide pytest set-up: the sandbox fixtures are available to every test folder."""

pytest_plugins = ["sandbox.personio.fixtures", "sandbox.leapsome.fixtures"]
