from tests import hostile


def pytest_terminal_summary(terminalreporter):
    if hostile.COUNTS["requests"]:
        terminalreporter.write_line(
            f"hostile input: {hostile.COUNTS['requests']} requests, "
            f"{hostile.COUNTS['server_errors']} server errors (5xx)"
        )
