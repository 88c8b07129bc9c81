/* host.c - to be written */
