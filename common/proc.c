/* proc.c - to be written */
