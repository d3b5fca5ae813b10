from itc_common_utilities.logger.logger_setup import REDACTED, redact, setup_logger

__all__ = ["REDACTED", "redact", "setup_logger"]
