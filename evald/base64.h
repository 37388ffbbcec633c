/*
 * base64: RFC 4648 section 4 (the standard alphabet), strict.
 *
 * Decoding accepts only the alphabet, with or without the trailing '='
 * padding; when padding is present it must be right, and the unused bits of
 * the last character must be zero (RFC 4648 section 3.5), so each byte string
 * has exactly one accepted encoding besides the unpadded one. Whitespace is
 * an error: a JSON client has no reason to send it.
 */
#ifndef EVALD_BASE64_H
#define EVALD_BASE64_H

#include <stddef.h>

/* Bytes needed to decode n characters (an upper bound). */
static inline size_t evald_b64_decoded_max(size_t n)
{
	return n / 4 * 3 + 3;
}

/* Characters needed to encode n bytes, with padding, plus a NUL. */
static inline size_t evald_b64_encoded_size(size_t n)
{
	return (n + 2) / 3 * 4 + 1;
}

/*
 * Decode n characters of src into dst (evald_b64_decoded_max(n) bytes).
 * Returns the number of bytes written, or -1 when src is not valid base64;
 * *bad_at then holds the offset of the first offending character.
 */
long evald_b64_decode(const char *src, size_t n, unsigned char *dst, size_t *bad_at);

/* Encode n bytes into dst (evald_b64_encoded_size(n) bytes), NUL-terminated. Returns the length. */
size_t evald_b64_encode(const unsigned char *src, size_t n, char *dst);

#endif
