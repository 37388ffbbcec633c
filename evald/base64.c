/*
 * base64: a strict decoder and an encoder (RFC 4648 section 4).
 * Debian ships no small C library for it that is stricter than glibc's
 * b64_pton(3) (which skips whitespace), so this is our own, with unit tests
 * in tests/unit/test_evald_base64.c.
 */
#include "base64.h"

#include <stdint.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int value_of(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long evald_b64_decode(const char *src, size_t n, unsigned char *dst, size_t *bad_at)
{
	size_t data = n, i, out = 0;
	uint32_t acc = 0;
	int bits = 0;

	*bad_at = 0;
	/* Padding: only at the end, only to complete a group of four. */
	if (n % 4 == 0 && n >= 4) {
		if (src[n - 1] == '=')
			data--;
		if (src[n - 2] == '=')
			data--;
	}
	for (i = 0; i < data; i++) {
		int v = value_of((unsigned char)src[i]);

		if (v < 0) {
			*bad_at = i;
			return -1;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			dst[out++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* One character alone (mod 4 == 1) cannot carry a whole byte. */
	if (data % 4 == 1) {
		*bad_at = data - 1;
		return -1;
	}
	/* Leftover bits must be zero (the canonical encoding). */
	if (acc != 0) {
		*bad_at = data - 1;
		return -1;
	}
	return (long)out;
}

size_t evald_b64_encode(const unsigned char *src, size_t n, char *dst)
{
	size_t i, out = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];

		dst[out++] = alphabet[v >> 18];
		dst[out++] = alphabet[(v >> 12) & 63];
		dst[out++] = alphabet[(v >> 6) & 63];
		dst[out++] = alphabet[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)src[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)src[i + 1] << 8;
		dst[out++] = alphabet[v >> 18];
		dst[out++] = alphabet[(v >> 12) & 63];
		dst[out++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
		dst[out++] = '=';
	}
	dst[out] = '\0';
	return out;
}
