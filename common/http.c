/* http.c - to be written */
