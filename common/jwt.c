/* jwt.c - to be written */
