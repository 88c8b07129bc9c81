# tests/unit/config.mk
