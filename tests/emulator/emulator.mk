# tests/emulator/emulator.mk
