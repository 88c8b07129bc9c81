# tests/unit/services.mk
