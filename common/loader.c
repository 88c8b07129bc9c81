/* loader.c - to be written */
