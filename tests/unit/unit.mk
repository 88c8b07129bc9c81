# tests/unit/unit.mk
