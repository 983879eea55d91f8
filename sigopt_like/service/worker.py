"""The task runner (being written by the campaign work)."""
