"""The audio ballot (issue 18): what is said, rendering it ahead of time, and building it for a meeting."""
