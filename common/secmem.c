/* secmem.c - to be written */
