"""The one exception of `autograder.instructor.notebooks`."""


class NotebookError(Exception):
    """The kit's sources cannot be turned into a notebook; the message says why."""
