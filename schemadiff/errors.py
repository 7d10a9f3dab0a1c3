"""The one exception type the CLI turns into a single line on stderr and exit code 2."""


class SchemadiffError(Exception):
    """Bad input or an unusable environment, with a message fit for a user."""


class MissingObject(SchemadiffError):
    """An op names a table or column that the schema lacks at this point of the history."""
