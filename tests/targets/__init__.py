"""Real third-party targets (s3rver, moto) started as local processes for end-to-end tests."""
