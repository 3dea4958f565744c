"""The folders here are submissions in many styles: data for tests/test_styles.py, never tests."""

collect_ignore_glob = ["*"]
