/* crypto.c - to be written */
