# tests/unit/plugins.mk
