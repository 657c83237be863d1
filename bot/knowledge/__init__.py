"""The knowledge: report metadata and parsing, loading and validating faq/ and intents/,
generating files from the reports."""
