"""policybot: answers from Shenzhen street offices' public reports."""
