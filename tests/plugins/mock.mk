# tests/plugins/mock.mk
