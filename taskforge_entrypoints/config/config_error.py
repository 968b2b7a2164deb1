"""The one error a wrong setting raises."""


class ConfigError(Exception):
    """A setting is wrong; the message names the variable and what is wrong with it."""
