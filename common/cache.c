/* cache.c - to be written */
