/* The compiled predictor's inner loops (stancecls/compiled.py): a batch of text to scores.
 *
 * NumPy computes the same scores (CompiledModel._scores_numpy) in a few dozen passes over every n-gram of a
 * batch, after Python has split the text and looked every word up in a dict; these loops make one pass per
 * paragraph, whose data stay in the CPU caches. They take only buffers (no NumPy C API), so the extension
 * builds against any NumPy, and every index read from an array is checked, so a damaged model or cache cannot
 * make them read out of bounds.
 *
 * The predictor's cache (compiled._Cache) has a row per distinct raw word (a run of non-white-space, as
 * str.split() finds them); row 0 is the paragraph separator. meta[row] = (d_start, d_len, f_start, f_len,
 * a_start, a_len, 0, 0): the word's word digits are d_flat[d_start:d_start+d_len], the feature ids of its
 * char_wb n-gram occurrences f_flat[f_start:...], its code points arena[a_start:...]. UQ[row] holds
 * U (k values: sum over its occurrences of idf * W) and Q (sum of idf**2), for one group of output columns
 * (W's columns k of them); the predictor keeps one UQ table for the topic columns and one for the stance columns.
 *
 * find_rows(text, slots, meta, arena, out) -> (words, missing)
 *   Splits text on white space and sets out[i] to the row of the i-th word; missing lists the words not in the
 *   table, each once, in order of appearance, and out[i] = -1 - j for the i-th word when it is missing[j].
 *   slots is an open-addressing table of (hash, row) pairs, hash 0 meaning empty.
 * insert(words, rows, slots) -> None
 *   Adds words (whose meta and arena entries are already written) to the table.
 * word_scores(rows, meta, d_flat, pairs, idf, W, base, min_n, max_n, sublinear, n, out[, W2, out2])
 *   TF-IDF of the word n-grams of every paragraph (codes in bijective base `base`, looked up in an
 *   open-addressing table with Fibonacci hashing, as in CodeTable, whose slot i is pairs[2i] = code (-1: empty)
 *   and pairs[2i+1] = feature id: a probe reads one cache line, not one in a keys and one in a values array),
 *   L2-normalised, times W (rows 0..len(idf)-1 of the weights, k columns), added to out[n*k]; and times W2,
 *   added to out2, when given (a second group of columns, in the same pass).
 * char_scores(rows, meta, f_flat, UQ, char_u, idf2, sublinear, n, out, scratch[, UQ2, char_u2, out2])
 *   A paragraph's character score is the sum of its words' U, plus, for each feature it holds c > 1 times,
 *   (g(c) - c) * idf*W with g the tf weighting, over the square root of the sum of their Q plus
 *   (g(c)**2 - c) * idf**2. Only repeated features touch the weight table. scratch: int64, 2 * n_features + 2
 *   of them, zeros at first, kept by the caller (one per thread) and passed again with every batch. With
 *   UQ2, char_u2, out2, a second group of columns is scored in the same pass (each column's sums are the same
 *   as in a pass of its own).
 * char_sums(meta, f_flat, char_u, idf2, lo, hi, UQ)
 *   The UQ rows lo..hi-1 for the columns of char_u, from the feature ids the rows hold: the same bits as
 *   char_learn or plain_learn give.
 * char_learn(digits, lens, pairs, char_u, idf2, base, min_n, max_n, fids, counts, UQ) -> total
 *   For new words, each given as the character digits of its padded pieces (word i has lens[i] of them):
 *   the feature ids of its char_wb n-gram occurrences, in feature order, written to fids one word after
 *   another (counts[i] of them), and its UQ row (sum of char_u over them, then sum of idf2).
 * plain_learn(words, token_ids, how, bmp, pairs, char_u, idf2, base, min_n, max_n, meta, d_flat, f_flat,
 *             arena, UQ, d_at, f_at, a_at) -> (mask, rows, digits, fids, codes)
 *   Writes the cache rows of the new words it can learn (mask[i] = 1): plain words (see "plain words" below)
 *   whose tokens are in token_ids (token -> tuple of word digits) or, with how = (index, unknown_id,
 *   protected, stop_words, stem), get their word ids here (see resolve_token; stem is the compiled port's
 *   stem method, or None for no stemming). The rest is left to Python. meta and UQ have room for a row per
 *   word and get one per learnt word, in order; d_flat, f_flat and arena are the free ends of the cache's
 *   tables, which start at d_at, f_at and a_at. Returns how many rows and values it wrote. max_n = 0: the
 *   model has no char block.
 *
 * Features are counted with a per-feature (stamp, count) pair: a stale stamp means a count of zero, so
 * nothing has to be cleared between paragraphs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

enum { D_START, D_LEN, F_START, F_LEN, A_START, A_LEN, META };
#define META_WIDTH 8
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)0)
#endif

typedef struct { int32_t stamp; int32_t count; } tally;

static int get(PyObject *obj, Py_buffer *view, char kind, int writable, const char *name) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    const char *formats = kind == 'i' ? "lq" : kind == 'j' ? "il" : kind == 'u' ? "IL" : "d";
    Py_ssize_t size = kind == 'u' || kind == 'j' ? 4 : 8;
    if (view->itemsize != size || view->format == NULL || strchr(formats, view->format[0]) == NULL) {
        PyErr_Format(PyExc_TypeError, "%s: expected a C-contiguous array of %s", name,
                     kind == 'i' ? "int64" : kind == 'j' ? "int32" : kind == 'u' ? "uint32" : "float64");
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* Acquire buffers: kinds[i] is 'i' (int64), 'j' (int32), 'u' (uint32) or 'd' (float64); those marked in `writable`
 * are written. */
static int get_all(PyObject **objs, Py_buffer *b, const char *kinds, const char *writable, const char *const *names) {
    int count = (int)strlen(kinds);
    for (int i = 0; i < count; i++) {
        if (get(objs[i], &b[i], kinds[i], writable[i] == 'w', names[i]) < 0) {
            for (int j = 0; j < i; j++) PyBuffer_Release(&b[j]);
            return -1;
        }
    }
    return 0;
}

static void release_all(Py_buffer *b, int count) {
    for (int i = 0; i < count; i++) PyBuffer_Release(&b[i]);
}

/* Release the buffers and raise ValueError(message); NULL, for the caller to return. */
static PyObject *fail(Py_buffer *b, int count, const char *message) {
    release_all(b, count);
    PyErr_SetString(PyExc_ValueError, message);
    return NULL;
}

/* CodeTable.lookup for one code: its feature id, or -1 when it is not a key (Fibonacci hashing, linear probing;
 * size = 2**bits) */
static inline uint64_t first_slot(uint64_t code, int bits) { return (code * 0x9E3779B97F4A7C15ULL) >> (64 - bits); }

static inline int64_t lookup(uint64_t code, const int64_t *pairs, Py_ssize_t size, int bits) {
    uint64_t mask = (uint64_t)size - 1, slot = first_slot(code, bits);
    for (Py_ssize_t probe = 0; probe < size; probe++, slot = (slot + 1) & mask) {
        if (pairs[2 * slot] == (int64_t)code) return pairs[2 * slot + 1];
        if (pairs[2 * slot] == -1) break;
    }
    return -1;
}

#define LEN(i) (b[i].len / b[i].itemsize)

/* sublinear tf, 1 + log(count), from a table for the counts a paragraph has (the same libm values) */
#define N_LOG 256
static double LOG_TF[N_LOG];
static inline double log1p_tf(int32_t count) { return count < N_LOG ? LOG_TF[count] : log((double)count) + 1.0; }

static inline uint64_t mix(uint64_t h, Py_UCS4 c) { return (h ^ c) * 0x100000001b3ULL; }
static inline uint64_t finish(uint64_t h) { h ^= h >> 29; return h ? h : 1; } /* 0 marks an empty slot */

/* The hash of the word (run of non-white-space) at data[*i..]; *i moves past it. */
static inline uint64_t hash_word(int kind, const void *data, Py_ssize_t length, Py_ssize_t *i) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *i < length; (*i)++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, *i);
        if (Py_UNICODE_ISSPACE(c)) break;
        h = mix(h, c);
    }
    return finish(h);
}

static uint64_t hash_str(PyObject *s) { /* a word: it holds no white space */
    Py_ssize_t i = 0;
    return hash_word(PyUnicode_KIND(s), PyUnicode_DATA(s), PyUnicode_GET_LENGTH(s), &i);
}

static PyObject *find_rows(PyObject *self, PyObject *args) {
    enum { SLOTS, META_, ARENA, OUT, N_ARGS };
    static const char *const names[N_ARGS] = {"slots", "meta", "arena", "out"};
    PyObject *text, *objs[N_ARGS];
    if (!PyArg_ParseTuple(args, "UOOOO", &text, &objs[SLOTS], &objs[META_], &objs[ARENA], &objs[OUT]))
        return NULL;
    Py_buffer b[N_ARGS];
    if (get_all(objs, b, "iiui", "---w", names) < 0)
        return NULL;
    const int64_t *slots = b[SLOTS].buf, *meta = b[META_].buf;
    const uint32_t *arena = b[ARENA].buf;
    int64_t *out = b[OUT].buf;
    Py_ssize_t n_slots = LEN(SLOTS) / 2, n_rows = LEN(META_) / META_WIDTH, n_arena = LEN(ARENA), cap = LEN(OUT);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    if (n_slots < 2 || (n_slots & (n_slots - 1)) || cap < length / 2 + 1)
        return fail(b, N_ARGS, "find_rows: the table is not a power of two or out is too short");
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    uint64_t mask = (uint64_t)n_slots - 1;
    Py_ssize_t words = 0, missing = 0, i = 0;
    int bad = 0;
    /* A word's lookup is a chain of three reads that can each miss the CPU caches (rare words' entries are anywhere
     * in tables of megabytes): its slot, its meta row, its code points. Waiting for each in turn is most of the
     * time this takes, so the lookups run as a pipeline: a word is hashed and its slot asked for; AHEAD words later
     * its meta row is asked for (from the first slot it probes, nearly always the right one); AHEAD words after
     * that its code points; AHEAD words after that it is looked up, its data now at hand. */
    enum { AHEAD = 8, RING = 4 * AHEAD };
    Py_ssize_t ring_first[RING], ring_len[RING];
    uint64_t ring_hash[RING];
    int64_t ring_row[RING];
    Py_ssize_t queued = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t clock = 0;; clock++) {
        while (i < length && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) i++;
        if (i < length) { /* one word a tick while there are words, so the entry of this tick is `clock` */
            Py_ssize_t first = i;
            uint64_t h = hash_word(kind, data, length, &i);
            ring_first[queued % RING] = first;
            ring_len[queued % RING] = i - first;
            ring_hash[queued % RING] = h;
            PREFETCH(slots + 2 * (h & mask));
            queued++;
        }
        Py_ssize_t e = clock - AHEAD;
        if (e >= 0 && e < queued) {
            uint64_t h = ring_hash[e % RING], slot = h & mask;
            int64_t r = (uint64_t)slots[2 * slot] == h ? slots[2 * slot + 1] : -1;
            ring_row[e % RING] = r >= 0 && r < n_rows ? r : -1;
            if (ring_row[e % RING] >= 0) PREFETCH(meta + r * META_WIDTH + A_START);
        }
        e = clock - 2 * AHEAD;
        if (e >= 0 && e < queued && ring_row[e % RING] >= 0) {
            int64_t a = meta[ring_row[e % RING] * META_WIDTH + A_START];
            if (a >= 0 && a < n_arena) PREFETCH(arena + a);
        }
        e = clock - 3 * AHEAD;
        if (e < 0) continue;
        if (e >= queued) break;
        Py_ssize_t first = ring_first[e % RING], len = ring_len[e % RING];
        uint64_t h = ring_hash[e % RING];
        int64_t row = -1 - first; /* for now, where a missing word starts */
        uint64_t slot = h & mask;
        for (Py_ssize_t probe = 0; probe < n_slots; probe++, slot = (slot + 1) & mask) {
            int64_t sh = slots[2 * slot];
            if (sh == 0) break;
            if ((uint64_t)sh != h) continue;
            int64_t r = slots[2 * slot + 1];
            if (r < 0 || r >= n_rows) { bad = 1; break; }
            const int64_t *mr = meta + r * META_WIDTH;
            if (mr[A_LEN] != len || mr[A_START] < 0 || mr[A_START] > n_arena - len) continue;
            const uint32_t *a = arena + mr[A_START];
            Py_ssize_t j = 0;
            while (j < len && a[j] == PyUnicode_READ(kind, data, first + j)) j++;
            if (j == len) { row = r; break; }
        }
        if (bad) break;
        missing += row < 0;
        out[words++] = row;
    }
    Py_END_ALLOW_THREADS
    if (bad)
        return fail(b, N_ARGS, "find_rows: a row is out of range");
    /* the missing words, each once, in order of appearance; their positions get -1 - (index in that list). A
     * small table of (hash, index) pairs finds repeats without making them str objects. */
    PyObject *found = PyList_New(0);
    Py_ssize_t size = 2;
    while (size < 2 * missing) size *= 2;
    int64_t *seen = found && missing ? PyMem_Calloc((size_t)size, 2 * sizeof(int64_t)) : NULL;
    Py_ssize_t *where = found && missing ? PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)missing) : NULL;
    if (missing && (!seen || !where)) {
        Py_CLEAR(found);
        if (!PyErr_Occurred()) PyErr_NoMemory();
    }
    for (Py_ssize_t w = 0; w < words && missing && found; w++) {
        if (out[w] >= 0) continue;
        Py_ssize_t first = -1 - out[w], end = first;
        uint64_t h = hash_word(kind, data, length, &end);
        Py_ssize_t len = end - first, slot = (Py_ssize_t)(h & (uint64_t)(size - 1)), j = -1;
        for (; seen[2 * slot] != 0; slot = (slot + 1) & (size - 1)) {
            if ((uint64_t)seen[2 * slot] != h) continue;
            Py_ssize_t at = where[seen[2 * slot + 1]], q = 0;
            if (PyUnicode_GET_LENGTH(PyList_GET_ITEM(found, seen[2 * slot + 1])) != len) continue;
            while (q < len && PyUnicode_READ(kind, data, at + q) == PyUnicode_READ(kind, data, first + q)) q++;
            if (q == len) { j = seen[2 * slot + 1]; break; }
        }
        if (j < 0) {
            PyObject *word = PyUnicode_Substring(text, first, end);
            j = PyList_GET_SIZE(found);
            if (word == NULL || PyList_Append(found, word) < 0) { Py_XDECREF(word); Py_CLEAR(found); break; }
            Py_DECREF(word);
            where[j] = first;
            seen[2 * slot] = (int64_t)h;
            seen[2 * slot + 1] = j;
        }
        out[w] = -1 - j;
    }
    PyMem_Free(seen);
    PyMem_Free(where);
    release_all(b, N_ARGS);
    return found ? Py_BuildValue("nN", words, found) : NULL;
}

static PyObject *insert(PyObject *self, PyObject *args) {
    PyObject *words, *rowobj, *slotobj;
    if (!PyArg_ParseTuple(args, "O!OO", &PyList_Type, &words, &rowobj, &slotobj))
        return NULL;
    Py_buffer rb, sb;
    if (get(rowobj, &rb, 'i', 0, "rows") < 0)
        return NULL;
    if (get(slotobj, &sb, 'i', 1, "slots") < 0) { PyBuffer_Release(&rb); return NULL; }
    Py_ssize_t n = PyList_GET_SIZE(words), n_slots = sb.len / 16;
    const int64_t *rows = rb.buf;
    int64_t *slots = sb.buf;
    const char *error = NULL;
    if (rb.len / 8 != n) error = "insert: words and rows differ in length";
    else if (n_slots < 2 || (n_slots & (n_slots - 1))) error = "insert: the table is not a power of two";
    uint64_t mask = (uint64_t)n_slots - 1;
    for (Py_ssize_t i = 0; i < n && !error; i++) {
        PyObject *w = PyList_GET_ITEM(words, i);
        if (!PyUnicode_Check(w)) { error = "insert: a word is not a str"; break; }
        uint64_t h = hash_str(w), slot = h & mask;
        Py_ssize_t probe = 0;
        while (probe < n_slots && slots[2 * slot] != 0) { probe++; slot = (slot + 1) & mask; }
        if (probe == n_slots) { error = "insert: the table is full"; break; }
        slots[2 * slot] = (int64_t)h;
        slots[2 * slot + 1] = rows[i];
    }
    PyBuffer_Release(&rb);
    PyBuffer_Release(&sb);
    if (error) {
        PyErr_SetString(PyExc_ValueError, error);
        return NULL;
    }
    Py_RETURN_NONE;
}

/* rows are in range, a paragraph ends at each 0 and there are fewer separators than paragraphs, and the
 * (start, length) pair at meta column `col` of every row lies inside a table of n_flat values */
static int check_rows(const int64_t *rows, Py_ssize_t m, const int64_t *meta, Py_ssize_t n_rows, int col,
                      Py_ssize_t n_flat, Py_ssize_t n) {
    Py_ssize_t seps = 0;
    for (Py_ssize_t i = 0; i < m; i++) {
        int64_t r = rows[i];
        if (r < 0 || r >= n_rows) return -1;
        const int64_t *mr = meta + r * META_WIDTH;
        if (mr[col] < 0 || mr[col + 1] < 0 || mr[col] > n_flat - mr[col + 1]) return -1;
        seps += r == 0;
    }
    return seps < n ? 0 : -1;
}

/* The next paragraph of rows[*i..]: its rows are rows[first..last); *i moves past the separator. */
static void next_paragraph(const int64_t *rows, Py_ssize_t m, Py_ssize_t *i, Py_ssize_t *first, Py_ssize_t *last) {
    *first = *i;
    while (*i < m && rows[*i] != 0) (*i)++;
    *last = *i;
    (*i)++;
}

static PyObject *word_scores(PyObject *self, PyObject *args) {
    enum { ROWS, META_, FLAT, PAIRS, IDF, W, OUT, W2, OUT2, N_ARGS };
    static const char *const names[N_ARGS] = {"rows", "meta", "d_flat", "pairs", "idf", "W", "out", "W2", "out2"};
    PyObject *objs[N_ARGS] = {NULL};
    long long base, min_n, max_n;
    int sublinear;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "OOOOOOLLLpnO|OO", &objs[ROWS], &objs[META_], &objs[FLAT], &objs[PAIRS], &objs[IDF],
                          &objs[W], &base, &min_n, &max_n, &sublinear, &n, &objs[OUT], &objs[W2], &objs[OUT2]))
        return NULL;
    /* a second group of output columns (W2, out2) is scored in the same pass: the counting is done once */
    int n_bufs = objs[OUT2] != NULL && objs[OUT2] != Py_None ? N_ARGS : W2;
    Py_buffer b[N_ARGS];
    if (get_all(objs, b, n_bufs == N_ARGS ? "iiiiddddd" : "iiiiddd", "------w-w", names) < 0)
        return NULL;
    const int64_t *rows = b[ROWS].buf, *meta = b[META_].buf, *flat = b[FLAT].buf;
    const int64_t *pairs = b[PAIRS].buf;
    const double *idf = b[IDF].buf, *w = b[W].buf, *w2 = n_bufs == N_ARGS ? b[W2].buf : NULL;
    double *out = b[OUT].buf, *out2 = n_bufs == N_ARGS ? b[OUT2].buf : NULL;
    Py_ssize_t m = LEN(ROWS), n_rows = LEN(META_) / META_WIDTH, nf = LEN(IDF), size = LEN(PAIRS) / 2;
    Py_ssize_t k = n > 0 ? LEN(OUT) / n : 0, k2 = n > 0 && out2 ? LEN(OUT2) / n : 0;
    int bits = 0;
    while (((Py_ssize_t)1 << bits) < size) bits++;
    const char *error = NULL;
    if (n <= 0 || n >= INT32_MAX || LEN(OUT) != n * k || LEN(PAIRS) != 2 * size || size < 2 || size != ((Py_ssize_t)1 << bits)
        || k == 0 || LEN(W) < nf * k || min_n < 1 || max_n < min_n || max_n > 16 || base < 3
        || (out2 && (k2 == 0 || LEN(OUT2) != n * k2 || LEN(W2) < nf * k2)))
        error = "word_scores: array sizes or settings do not fit";
    else if (check_rows(rows, m, meta, n_rows, D_START, LEN(FLAT), n) < 0)
        error = "word_scores: an index is out of range";
    if (error)
        return fail(b, n_bufs, error);
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < m; i++) total += meta[rows[i] * META_WIDTH + D_LEN];
    int64_t *digits = PyMem_Malloc(sizeof(int64_t) * (size_t)(total + 1));
    int64_t *seen = PyMem_Malloc(sizeof(int64_t) * (size_t)(total * max_n + 1));
    tally *t = PyMem_Calloc((size_t)(nf + 1), sizeof(tally));
    double *val = PyMem_Malloc(sizeof(double) * (size_t)(total * max_n + 1));
    if (!digits || !seen || !t || !val) {
        PyMem_Free(digits); PyMem_Free(seen); PyMem_Free(t); PyMem_Free(val);
        release_all(b, n_bufs);
        return PyErr_NoMemory();
    }
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t i = 0;
    for (Py_ssize_t row = 0; row < n && !bad; row++) {
        Py_ssize_t first, last, L = 0, n_seen = 0;
        int32_t stamp = (int32_t)(row + 1);
        next_paragraph(rows, m, &i, &first, &last);
        for (Py_ssize_t q = first; q < last; q++) {
            const int64_t *mr = meta + rows[q] * META_WIDTH;
            memcpy(digits + L, flat + mr[D_START], sizeof(int64_t) * (size_t)mr[D_LEN]);
            L += mr[D_LEN];
        }
        for (Py_ssize_t p = 0; p < L; p++) {
            uint64_t code = 0;
            for (Py_ssize_t j = 0; j < max_n && p + j < L; j++) {
                code = code * (uint64_t)base + (uint64_t)digits[p + j];
                if (j + 1 < min_n) continue;
                int64_t f = lookup(code, pairs, size, bits);
                if (f < 0) continue;
                if (f >= nf) { bad = 1; break; }
                tally *tf = t + f; /* without branches, as in char_scores */
                int32_t count = (tf->count & -(int32_t)(tf->stamp == stamp)) + 1;
                tf->stamp = stamp;
                tf->count = count;
                seen[n_seen] = f;
                n_seen += count == 1;
            }
            if (bad) break;
        }
        if (bad || n_seen == 0) continue;
        double norm2 = 0.0;
        for (Py_ssize_t s = 0; s < n_seen; s++) {
            double c = (double)t[seen[s]].count;
            val[s] = (sublinear ? log1p_tf(t[seen[s]].count) : c) * idf[seen[s]];
            norm2 += val[s] * val[s];
        }
        if (norm2 <= 0.0) continue;
        double norm = sqrt(norm2), *o = out + row * k;
        for (Py_ssize_t s = 0; s < n_seen; s++) {
            const double *wf = w + seen[s] * k, v = val[s] / norm;
            for (Py_ssize_t c = 0; c < k; c++) o[c] += wf[c] * v;
        }
        if (out2) {
            double *o2 = out2 + row * k2;
            for (Py_ssize_t s = 0; s < n_seen; s++) {
                const double *wf = w2 + seen[s] * k2, v = val[s] / norm;
                for (Py_ssize_t c = 0; c < k2; c++) o2[c] += wf[c] * v;
            }
        }
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(digits); PyMem_Free(seen); PyMem_Free(t); PyMem_Free(val);
    if (bad)
        return fail(b, n_bufs, "word_scores: an index is out of range");
    release_all(b, n_bufs);
    Py_RETURN_NONE;
}

static PyObject *char_scores(PyObject *self, PyObject *args) {
    enum { ROWS, META_, FLAT, UQ, CHAR_U, IDF2, OUT, SCRATCH, UQ2, CHAR_U2, OUT2, N_ARGS };
    static const char *const names[N_ARGS] = {"rows", "meta", "f_flat", "UQ", "char_u", "idf2", "out", "scratch",
                                              "UQ2", "char_u2", "out2"};
    PyObject *objs[N_ARGS] = {NULL};
    int sublinear;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "OOOOOOpnOO|OOO", &objs[ROWS], &objs[META_], &objs[FLAT], &objs[UQ], &objs[CHAR_U],
                          &objs[IDF2], &sublinear, &n, &objs[OUT], &objs[SCRATCH], &objs[UQ2], &objs[CHAR_U2], &objs[OUT2]))
        return NULL;
    /* a second group of output columns (UQ2, char_u2, out2) is scored in the same pass: the tallies are kept once;
     * Q, the same in both groups, is read from UQ */
    int n_bufs = objs[OUT2] != NULL && objs[OUT2] != Py_None ? N_ARGS : UQ2;
    Py_buffer b[N_ARGS];
    if (get_all(objs, b, n_bufs == N_ARGS ? "iijddddiddd" : "iijddddi", "------ww--w", names) < 0)
        return NULL;
    const int64_t *rows = b[ROWS].buf, *meta = b[META_].buf;
    const int32_t *fids = b[FLAT].buf;
    const double *uq = b[UQ].buf, *u = b[CHAR_U].buf, *idf2 = b[IDF2].buf;
    const double *uq2 = n_bufs == N_ARGS ? b[UQ2].buf : NULL, *u2 = n_bufs == N_ARGS ? b[CHAR_U2].buf : NULL;
    double *out = b[OUT].buf, *out2 = n_bufs == N_ARGS ? b[OUT2].buf : NULL;
    int64_t *scratch = b[SCRATCH].buf;
    Py_ssize_t m = LEN(ROWS), n_rows = LEN(META_) / META_WIDTH, nf = LEN(IDF2);
    Py_ssize_t k = n > 0 ? LEN(OUT) / n : 0, k2 = n > 0 && out2 ? LEN(OUT2) / n : 0;
    const char *error = NULL;
    if (n <= 0 || n >= INT32_MAX / 2 || LEN(OUT) != n * k || k == 0 || LEN(UQ) < n_rows * (k + 1) || LEN(CHAR_U) != nf * k
        || LEN(SCRATCH) != 2 * nf + 2 || scratch[0] < 0 || scratch[0] >= INT32_MAX
        || (out2 && (k2 == 0 || LEN(OUT2) != n * k2 || LEN(UQ2) < n_rows * (k2 + 1) || LEN(CHAR_U2) != nf * k2)))
        error = "char_scores: array sizes do not fit";
    else if (check_rows(rows, m, meta, n_rows, F_START, LEN(FLAT), n) < 0)
        error = "char_scores: an index is out of range";
    if (error)
        return fail(b, n_bufs, error);
    /* The tallies and the list of repeated features live in the caller's scratch (one per thread), reused from
     * call to call: scratch[0] is the last stamp used, so stale tallies need no clearing, and the pages are not
     * asked of the system again for every batch. */
    tally *t = (tally *)(scratch + 1);
    int64_t *dup = scratch + 1 + nf; /* features seen twice in a paragraph */
    if (scratch[0] + n >= INT32_MAX) {
        memset(t, 0, sizeof(tally) * (size_t)nf);
        scratch[0] = 0;
    }
    int32_t epoch = (int32_t)scratch[0];
    scratch[0] += n;
    double *S = PyMem_Malloc(sizeof(double) * (size_t)(k + k2)), *S2 = S + k;
    if (!S) {
        release_all(b, n_bufs);
        return PyErr_NoMemory();
    }
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t i = 0;
    for (Py_ssize_t row = 0; row < n && !bad; row++) {
        Py_ssize_t first, last, n_dup = 0;
        int32_t stamp = epoch + (int32_t)(row + 1);
        next_paragraph(rows, m, &i, &first, &last);
        double N2 = 0.0;
        memset(S, 0, sizeof(double) * (size_t)(k + k2));
        for (Py_ssize_t q = first; q < last && !bad; q++) {
            if (q + 4 < last) { /* words further on: their rows, wherever they are */
                PREFETCH(meta + rows[q + 4] * META_WIDTH);
                PREFETCH(uq + rows[q + 4] * (k + 1));
                PREFETCH(uq + rows[q + 4] * (k + 1) + k);
                if (uq2) {
                    PREFETCH(uq2 + rows[q + 4] * (k2 + 1));
                    PREFETCH(uq2 + rows[q + 4] * (k2 + 1) + k2);
                }
            }
            if (q + 2 < last) PREFETCH(fids + meta[rows[q + 2] * META_WIDTH + F_START]);
            const int64_t *mr = meta + rows[q] * META_WIDTH;
            const double *up = uq + rows[q] * (k + 1);
            for (Py_ssize_t c = 0; c < k; c++) S[c] += up[c];
            N2 += up[k];
            if (uq2) {
                const double *up2 = uq2 + rows[q] * (k2 + 1);
                for (Py_ssize_t c = 0; c < k2; c++) S2[c] += up2[c];
            }
            for (const int32_t *fp = fids + mr[F_START], *end = fp + mr[F_LEN]; fp < end; fp++) {
                int64_t f = *fp;
                if ((uint64_t)f >= (uint64_t)nf) { bad = 1; break; }
                /* without branches (whether a feature was seen before in a paragraph is hard to predict): a stale
                 * stamp masks the count to zero */
                tally *tf = t + f;
                int32_t count = (tf->count & -(int32_t)(tf->stamp == stamp)) + 1;
                tf->stamp = stamp;
                tf->count = count;
                dup[n_dup] = f;
                n_dup += count == 2;
            }
        }
        if (bad) break;
        for (Py_ssize_t d = 0; d < n_dup; d++) {
            int64_t f = dup[d];
            double c = (double)t[f].count;
            double g = sublinear ? log1p_tf(t[f].count) : c;
            const double *uf = u + f * k;
            for (Py_ssize_t c2 = 0; c2 < k; c2++) S[c2] += (g - c) * uf[c2];
            if (u2) {
                const double *uf2 = u2 + f * k2;
                for (Py_ssize_t c2 = 0; c2 < k2; c2++) S2[c2] += (g - c) * uf2[c2];
            }
            N2 += (g * g - c) * idf2[f];
        }
        if (N2 > 0.0) {
            double norm = sqrt(N2);
            for (Py_ssize_t c2 = 0; c2 < k; c2++) out[row * k + c2] += S[c2] / norm;
            for (Py_ssize_t c2 = 0; c2 < k2; c2++) out2[row * k2 + c2] += S2[c2] / norm;
        }
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(S);
    if (bad)
        return fail(b, n_bufs, "char_scores: an index is out of range");
    release_all(b, n_bufs);
    Py_RETURN_NONE;
}

static int by_value(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* o[0..k) = U, the sum of the rows u[f] of the features fids[0..n), and o[k] = Q, the sum of their idf2[f], added
 * up in the order given (a word's ids, sorted): word_features and char_sums must give the same bits. */
static void sum_features(const int32_t *fids, Py_ssize_t n, const double *u, const double *idf2, Py_ssize_t k, double *o) {
    double q = 0.0;
    for (Py_ssize_t c = 0; c <= k; c++) o[c] = 0.0;
    for (Py_ssize_t s = 0; s < n; s++) {
        const double *uf = u + fids[s] * k;
        for (Py_ssize_t c = 0; c < k; c++) o[c] += uf[c];
        q += idf2[fids[s]];
    }
    o[k] = q;
}

/* The char_wb features of one word, given the digits d[0..L) of its padded pieces: their ids, in feature order (as
 * the NumPy path stores them, so both sum U and Q in the same order), at fids[0..), and o[0..k) = U, o[k] = Q.
 * Returns how many ids it wrote, or -1 for an id out of range. */
static Py_ssize_t word_features(const int64_t *d, Py_ssize_t L, const int64_t *pairs, Py_ssize_t size, int bits,
                                const double *u, const double *idf2, Py_ssize_t nf, Py_ssize_t k, long long base,
                                long long min_n, long long max_n, int32_t *fids, double *o) {
    /* The table is megabytes and a new word's n-grams land anywhere in it: their slots are asked for a batch at a
     * time, before the first is read, so the waits overlap instead of following one another. */
    enum { BATCH = 64 }; /* max_n <= 16 */
    uint64_t codes[BATCH];
    Py_ssize_t at = 0, queued = 0;
    for (Py_ssize_t p = 0; p <= L; p++) {
        uint64_t code = 0;
        for (Py_ssize_t j = 0; p < L && j < max_n && p + j < L; j++) {
            code = code * (uint64_t)base + (uint64_t)d[p + j];
            if (j + 1 >= min_n) codes[queued++] = code;
        }
        if (queued + max_n <= BATCH && p < L) continue;
        for (Py_ssize_t q = 0; q < queued; q++) {
            uint64_t slot = first_slot(codes[q], bits);
            PREFETCH(pairs + 2 * slot);
        }
        for (Py_ssize_t q = 0; q < queued; q++) {
            int64_t f = lookup(codes[q], pairs, size, bits);
            if (f < 0) continue;
            if (f >= nf) return -1;
            fids[at++] = (int32_t)f;
        }
        queued = 0;
    }
    /* their weight rows lie anywhere in a table of megabytes: ask for all of them before summing any */
    for (Py_ssize_t s = 0; s < at; s++) {
        PREFETCH(u + fids[s] * k);
        PREFETCH(u + fids[s] * k + k - 1);
    }
    if (at > 64) {
        qsort(fids, (size_t)at, sizeof(int32_t), by_value);
    } else { /* a word's few dozen ids: insertion sort, without qsort's call per comparison */
        for (Py_ssize_t i = 1; i < at; i++) {
            int32_t v = fids[i];
            Py_ssize_t j = i;
            for (; j > 0 && fids[j - 1] > v; j--) fids[j] = fids[j - 1];
            fids[j] = v;
        }
    }
    sum_features(fids, at, u, idf2, k, o);
    return at;
}

/* U and Q (as word_features gives them) of the cache rows lo..hi, from the feature ids the rows already hold, for
 * another set of output columns (u): the predictor sums the stance columns of a word only when they are asked for. */
static PyObject *char_sums(PyObject *self, PyObject *args) {
    enum { META_, FLAT, CHAR_U, IDF2, UQ, N_ARGS };
    static const char *const names[N_ARGS] = {"meta", "f_flat", "char_u", "idf2", "UQ"};
    PyObject *objs[N_ARGS];
    Py_ssize_t lo, hi;
    if (!PyArg_ParseTuple(args, "OOOOnnO", &objs[META_], &objs[FLAT], &objs[CHAR_U], &objs[IDF2], &lo, &hi, &objs[UQ]))
        return NULL;
    Py_buffer b[N_ARGS];
    if (get_all(objs, b, "ijddd", "----w", names) < 0)
        return NULL;
    const int64_t *meta = b[META_].buf;
    const int32_t *fids = b[FLAT].buf;
    const double *u = b[CHAR_U].buf, *idf2 = b[IDF2].buf;
    double *uq = b[UQ].buf;
    Py_ssize_t nf = LEN(IDF2), k = nf > 0 ? LEN(CHAR_U) / nf : 0, n_flat = LEN(FLAT);
    if (nf == 0 || k == 0 || LEN(CHAR_U) != nf * k || lo < 0 || hi < lo || hi > LEN(META_) / META_WIDTH
        || LEN(UQ) % (k + 1) || hi > LEN(UQ) / (k + 1))
        return fail(b, N_ARGS, "char_sums: array sizes do not fit");
    for (Py_ssize_t r = lo; r < hi; r++) {
        const int64_t *mr = meta + r * META_WIDTH;
        if (mr[F_START] < 0 || mr[F_LEN] < 0 || mr[F_START] > n_flat - mr[F_LEN])
            return fail(b, N_ARGS, "char_sums: a row is out of range");
        for (int64_t j = mr[F_START]; j < mr[F_START] + mr[F_LEN]; j++)
            if (fids[j] < 0 || fids[j] >= nf) return fail(b, N_ARGS, "char_sums: a feature id is out of range");
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r = lo; r < hi; r++) {
        const int64_t *mr = meta + r * META_WIDTH;
        if (r + 4 < hi) PREFETCH(fids + meta[(r + 4) * META_WIDTH + F_START]);
        if (r + 1 < hi) { /* the next row's weight rows lie anywhere in megabytes: ask for them now */
            const int64_t *mn = mr + META_WIDTH;
            for (int64_t j = mn[F_START]; j < mn[F_START] + mn[F_LEN]; j++) {
                PREFETCH(u + fids[j] * k);
                PREFETCH(u + fids[j] * k + k - 1);
            }
        }
        sum_features(fids + mr[F_START], mr[F_LEN], u, idf2, k, uq + r * (k + 1));
    }
    Py_END_ALLOW_THREADS
    release_all(b, N_ARGS);
    Py_RETURN_NONE;
}

static int table_bits(Py_ssize_t size) {
    int bits = 0;
    while (((Py_ssize_t)1 << bits) < size) bits++;
    return bits;
}

static PyObject *char_learn(PyObject *self, PyObject *args) {
    enum { DIGITS, LENS, PAIRS, CHAR_U, IDF2, FIDS, COUNTS, UQ, N_ARGS };
    static const char *const names[N_ARGS] = {"digits", "lens", "pairs", "char_u", "idf2", "fids", "counts", "UQ"};
    PyObject *objs[N_ARGS];
    long long base, min_n, max_n;
    if (!PyArg_ParseTuple(args, "OOOOOLLLOOO", &objs[DIGITS], &objs[LENS], &objs[PAIRS], &objs[CHAR_U], &objs[IDF2], &base, &min_n, &max_n, &objs[FIDS], &objs[COUNTS], &objs[UQ]))
        return NULL;
    Py_buffer b[N_ARGS];
    if (get_all(objs, b, "iiiddjid", "-----www", names) < 0)
        return NULL;
    const int64_t *digits = b[DIGITS].buf, *lens = b[LENS].buf, *pairs = b[PAIRS].buf;
    const double *u = b[CHAR_U].buf, *idf2 = b[IDF2].buf;
    int32_t *fids = b[FIDS].buf;
    int64_t *counts = b[COUNTS].buf;
    double *uq = b[UQ].buf;
    Py_ssize_t n_words = LEN(LENS), n_digits = LEN(DIGITS), size = LEN(PAIRS) / 2, nf = LEN(IDF2), cap = LEN(FIDS);
    Py_ssize_t k = nf > 0 ? LEN(CHAR_U) / nf : 0, total = 0;
    int bits = table_bits(size);
    for (Py_ssize_t i = 0; i < n_words && total >= 0; i++) total = lens[i] < 0 ? -1 : total + lens[i];
    const char *error = NULL;
    if (total != n_digits || LEN(COUNTS) != n_words || LEN(PAIRS) != 2 * size || size < 2 || size != ((Py_ssize_t)1 << bits)
        || nf == 0 || nf >= INT32_MAX || k == 0 || LEN(CHAR_U) != nf * k || LEN(UQ) != n_words * (k + 1) || min_n < 1
        || max_n < min_n
        || max_n > 16 || base < 3 || cap < n_digits * (max_n - min_n + 1))
        error = "char_learn: array sizes or settings do not fit";
    if (error)
        return fail(b, N_ARGS, error);
    int bad = 0;
    Py_ssize_t at = 0, start = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t w = 0; w < n_words && !bad; w++) {
        Py_ssize_t got = word_features(digits + start, lens[w], pairs, size, bits, u, idf2, nf, k, base, min_n,
                                       max_n, fids + at, uq + w * (k + 1));
        if (got < 0) { bad = 1; break; }
        counts[w] = got;
        at += got;
        start += lens[w];
    }
    Py_END_ALLOW_THREADS
    if (bad)
        return fail(b, N_ARGS, "char_learn: a feature id is out of range");
    release_all(b, N_ARGS);
    return PyLong_FromSsize_t(at);
}

/* ---- plain words ----
 * A raw word of printable ASCII (0x21-0x7E) holding no '@', "://" or "www." (in any case) is plain: NFKC leaves it
 * as it is and no URL or e-mail placeholder can apply, so preprocess.normalize is lower-casing and the number
 * placeholder (\d+(?:[.,]\d+)* -> " numx "), and preprocess._TOKEN finds [a-z]+(?:-[a-z]+)* (in ASCII,
 * [^\W\d_] is a letter). plain_learn does for plain words, in C, what compiled._Cache._learn_python does. */

static int is_plain(const char *s, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) {
        char c = s[i];
        if (c < 0x21 || c > 0x7E || c == '@') return 0;
        if (c == ':' && i + 2 < n && s[i + 1] == '/' && s[i + 2] == '/') return 0;
        if ((c == 'w' || c == 'W') && i + 3 < n && (s[i + 1] | 32) == 'w' && (s[i + 2] | 32) == 'w' && s[i + 3] == '.')
            return 0;
    }
    return n > 0;
}

static inline int is_digit(char c) { return c >= '0' && c <= '9'; }
static inline int is_letter(char c) { return c >= 'a' && c <= 'z'; }

/* The normalised form of a plain word (at most 6 characters per input character) */
static Py_ssize_t plain_normalise(const char *s, Py_ssize_t n, char *out) {
    Py_ssize_t o = 0, i = 0;
    while (i < n) {
        if (!is_digit(s[i])) {
            char c = s[i++];
            out[o++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
            continue;
        }
        while (i < n && is_digit(s[i])) i++;
        while (i + 1 < n && (s[i] == '.' || s[i] == ',') && is_digit(s[i + 1]))
            for (i++; i < n && is_digit(s[i]); i++) {}
        memcpy(out + o, " numx ", 6);
        o += 6;
    }
    return o;
}

/* The next token of normalised text t[*i..n): sets *first and returns its end, or returns -1 when there is none */
static Py_ssize_t next_token(const char *t, Py_ssize_t n, Py_ssize_t *i, Py_ssize_t *first) {
    while (*i < n && !is_letter(t[*i])) (*i)++;
    if (*i == n) return -1;
    Py_ssize_t j = *i;
    *first = j;
    while (j < n && is_letter(t[j])) j++;
    while (j + 1 < n && t[j] == '-' && is_letter(t[j + 1]))
        for (j++; j < n && is_letter(t[j]); j++) {}
    *i = j;
    return j;
}

/* char_wb's padded form, " " + "  ".join(t.split()) + " " (a plain word's normal form is never blank) */
static Py_ssize_t plain_padded(const char *t, Py_ssize_t n, char *out) {
    Py_ssize_t o = 0, i = 0;
    out[o++] = ' ';
    int pieces = 0;
    while (i < n) {
        if (t[i] == ' ') { i++; continue; }
        if (pieces++) { out[o++] = ' '; out[o++] = ' '; }
        while (i < n && t[i] != ' ') out[o++] = t[i++];
    }
    out[o++] = ' ';
    return o;
}

/* What CompiledModel._token_ids gives a token (an ASCII str) of a plain word (letters a-z and inner hyphens):
 * hyphen parts ("x-x" is one part), stop words dropped, stems (preprocess.stem: protected words, words under 4
 * letters and the number token stay as they are, the rest go to the compiled port), then each part's id in
 * index, or `unknown`. A new tuple; Py_None when the port declines a part (Python then does it all); NULL on
 * error. */
typedef struct { PyObject *index, *unknown, *protected_, *stopwords, *stem; } resolver;

/* a str of n ASCII characters (no UTF-8 decoding to do) */
static PyObject *ascii_str(const char *s, Py_ssize_t n) {
    PyObject *out = PyUnicode_New(n, 127);
    if (out) memcpy(PyUnicode_DATA(out), s, (size_t)n);
    return out;
}

/* a non-empty str of ASCII letters (str.isalpha() of an ASCII string) */
static int ascii_letters(PyObject *s) {
    if (!PyUnicode_Check(s) || !PyUnicode_IS_ASCII(s) || PyUnicode_GET_LENGTH(s) == 0) return 0;
    const char *c = (const char *)PyUnicode_DATA(s);
    for (Py_ssize_t i = 0, n = PyUnicode_GET_LENGTH(s); i < n; i++)
        if (!((c[i] >= 'a' && c[i] <= 'z') || (c[i] >= 'A' && c[i] <= 'Z'))) return 0;
    return 1;
}

static PyObject *resolve_token(PyObject *token, const resolver *r) {
    const char *t = (const char *)PyUnicode_DATA(token);
    Py_ssize_t n = PyUnicode_GET_LENGTH(token), count = 0, i = 0;
    PyObject *parts[64], *out = NULL;
    int ok = 1;
    for (Py_ssize_t j = 0; j < n; j++)
        if (t[j] == '-' && ++count == 64) Py_RETURN_NONE; /* a freak of 64 parts: Python does it */
    if (count == 0) { /* one part: the token itself */
        parts[0] = Py_NewRef(token);
        count = 1;
        i = n + 1;
    } else {
        count = 0;
    }
    while (i <= n && ok) { /* split on '-': the token has no empty part */
        Py_ssize_t j = i;
        while (j < n && t[j] != '-') j++;
        parts[count] = ascii_str(t + i, j - i);
        if (!parts[count]) { ok = 0; break; }
        count++;
        i = j + 1;
    }
    if (ok && count == 2 && PyUnicode_Compare(parts[0], parts[1]) == 0) { /* reduplication: negara-negara */
        Py_DECREF(parts[1]);
        count = 1;
    }
    Py_ssize_t kept = 0;
    for (Py_ssize_t p = 0; p < count && ok; p++) { /* stop words out, stems in */
        int stop = PySet_Contains(r->stopwords, parts[p]);
        if (stop < 0) { ok = 0; break; }
        if (stop) { Py_CLEAR(parts[p]); continue; }
        PyObject *part = parts[p];
        parts[p] = NULL;
        if (r->stem != Py_None && PyUnicode_GET_LENGTH(part) >= 4) {
            int keep = PySet_Contains(r->protected_, part);
            if (keep < 0) { Py_DECREF(part); ok = 0; break; }
            if (!keep && PyUnicode_CompareWithASCIIString(part, "numx") != 0) {
                PyObject *stem = PyObject_CallOneArg(r->stem, part);
                if (stem == NULL) { Py_DECREF(part); ok = 0; break; }
                if (stem == Py_None) { /* the port declines: Python decides */
                    Py_DECREF(part);
                    for (Py_ssize_t q = 0; q < kept; q++) Py_DECREF(parts[q]);
                    for (Py_ssize_t q = p + 1; q < count; q++) Py_XDECREF(parts[q]);
                    return stem;
                }
                if (ascii_letters(stem)) {
                    Py_DECREF(part);
                    part = stem;
                } else {
                    Py_DECREF(stem); /* preprocess.stem keeps the token when the stem is empty or not letters */
                }
            }
        }
        parts[kept++] = part;
    }
    if (ok) {
        out = PyTuple_New(kept);
        for (Py_ssize_t q = 0; q < kept && out; q++) {
            PyObject *id = PyDict_GetItemWithError(r->index, parts[q]);
            if (id == NULL && PyErr_Occurred()) { Py_CLEAR(out); break; }
            id = id ? id : r->unknown;
            Py_INCREF(id);
            PyTuple_SET_ITEM(out, q, id);
        }
    }
    for (Py_ssize_t q = 0; q < (ok ? kept : count); q++) Py_XDECREF(parts[q]);
    return out;
}

static PyObject *plain_learn(PyObject *self, PyObject *args) {
    enum { BMP, PAIRS, CHAR_U, IDF2, META_, D_FLAT, F_FLAT, ARENA, UQ, N_ARGS };
    static const char *const names[N_ARGS] = {"bmp", "pairs", "char_u", "idf2", "meta", "d_flat", "f_flat",
                                              "arena", "UQ"};
    PyObject *words, *ids, *how, *objs[N_ARGS];
    long long base, min_n, max_n;
    Py_ssize_t d_at, f_at, a_at;
    if (!PyArg_ParseTuple(args, "O!O!OOOOOLLLOOOOOnnn", &PyList_Type, &words, &PyDict_Type, &ids, &how, &objs[BMP],
                          &objs[PAIRS], &objs[CHAR_U], &objs[IDF2], &base, &min_n, &max_n, &objs[META_],
                          &objs[D_FLAT], &objs[F_FLAT], &objs[ARENA], &objs[UQ], &d_at, &f_at, &a_at))
        return NULL;
    resolver r, *res = NULL;
    if (how != Py_None) {
        if (!PyArg_ParseTuple(how, "O!OO!O!O", &PyDict_Type, &r.index, &r.unknown, &PyFrozenSet_Type, &r.protected_,
                              &PyFrozenSet_Type, &r.stopwords, &r.stem))
            return NULL;
        res = &r;
    }
    Py_buffer b[N_ARGS];
    if (get_all(objs, b, "iiddiijud", "----wwwww", names) < 0)
        return NULL;
    const int64_t *bmp = b[BMP].buf, *pairs = b[PAIRS].buf;
    const double *u = b[CHAR_U].buf, *idf2 = b[IDF2].buf;
    int64_t *meta = b[META_].buf, *d_flat = b[D_FLAT].buf;
    int32_t *f_flat = b[F_FLAT].buf;
    uint32_t *arena = b[ARENA].buf;
    double *uq = b[UQ].buf;
    Py_ssize_t n = PyList_GET_SIZE(words), size = LEN(PAIRS) / 2, nf = LEN(IDF2), longest = 0;
    Py_ssize_t k = LEN(UQ) / (n > 0 ? n : 1) - 1;
    int chars = max_n > 0, bits = table_bits(size);
    const char *error = NULL;
    if (n == 0 || LEN(META_) != n * META_WIDTH || LEN(UQ) != n * (k + 1) || k < 1 || d_at < 0 || f_at < 0 || a_at < 0)
        error = "plain_learn: array sizes do not fit";
    else if (chars && (LEN(BMP) != 0x10000 || LEN(PAIRS) != 2 * size || size < 2 || size != ((Py_ssize_t)1 << bits)
                       || nf == 0 || nf >= INT32_MAX || LEN(CHAR_U) != nf * k || min_n < 1 || max_n < min_n
                       || max_n > 16 || base < 3))
        error = "plain_learn: the character block does not fit";
    for (Py_ssize_t w = 0; w < n && !error; w++) {
        PyObject *s = PyList_GET_ITEM(words, w);
        if (!PyUnicode_Check(s)) error = "plain_learn: a word is not a str";
        else if (PyUnicode_GET_LENGTH(s) > longest) longest = PyUnicode_GET_LENGTH(s);
    }
    if (error)
        return fail(b, N_ARGS, error);
    PyObject *mask = PyBytes_FromStringAndSize(NULL, n);
    char *buf = PyMem_Malloc((size_t)(12 * longest + 8));
    int64_t *digits = PyMem_Malloc(sizeof(int64_t) * (size_t)(6 * longest + 4));
    if (!mask || !buf || !digits) {
        Py_XDECREF(mask); PyMem_Free(buf); PyMem_Free(digits);
        release_all(b, N_ARGS);
        return PyErr_NoMemory();
    }
    char *learnt = PyBytes_AS_STRING(mask), *padded = buf + 6 * longest + 4;
    Py_ssize_t rows = 0, dn = 0, fn = 0, an = 0, d_cap = LEN(D_FLAT), f_cap = LEN(F_FLAT), a_cap = LEN(ARENA);
    for (Py_ssize_t w = 0; w < n && !error; w++) {
        PyObject *s = PyList_GET_ITEM(words, w);
        const char *raw = (const char *)PyUnicode_DATA(s);
        Py_ssize_t len = PyUnicode_GET_LENGTH(s), d0 = dn, f0 = fn;
        learnt[w] = 0;
        if (!PyUnicode_IS_ASCII(s) || !is_plain(raw, len))
            continue;
        /* the word digits of its tokens; a token whose stem the port declines leaves the word to Python */
        Py_ssize_t L = plain_normalise(raw, len, buf), i = 0, first, end;
        int deferred = 0;
        while (!deferred && (end = next_token(buf, L, &i, &first)) >= 0) {
            PyObject *tok = ascii_str(buf + first, end - first), *t = NULL;
            if (tok && (t = PyDict_GetItemWithError(ids, tok)) != NULL) {
                Py_INCREF(t);
            } else if (tok && !PyErr_Occurred()) {
                if (!res) {
                    deferred = 1;
                } else if ((t = resolve_token(tok, res)) == Py_None) {
                    Py_CLEAR(t);
                    deferred = 1;
                } else if (t && PyDict_SetItem(ids, tok, t) < 0) {
                    Py_CLEAR(t);
                }
            }
            Py_XDECREF(tok);
            if (deferred) break;
            if (t == NULL) break; /* an exception is set */
            if (!PyTuple_Check(t)) { Py_DECREF(t); error = "plain_learn: a token's word ids are not a tuple"; break; }
            Py_ssize_t m = PyTuple_GET_SIZE(t);
            if (dn + m > d_cap) { Py_DECREF(t); error = "plain_learn: d_flat is too short"; break; }
            for (Py_ssize_t j = 0; j < m; j++) {
                long long v = PyLong_AsLongLong(PyTuple_GET_ITEM(t, j));
                if (v == -1 && PyErr_Occurred()) break;
                d_flat[dn++] = v;
            }
            Py_DECREF(t);
            if (PyErr_Occurred()) break;
        }
        if (error || PyErr_Occurred()) break;
        if (deferred) { dn = d0; continue; }
        if (an + len > a_cap) { error = "plain_learn: arena is too short"; break; }
        for (Py_ssize_t j = 0; j < len; j++) arena[an + j] = (unsigned char)raw[j];
        double *o = uq + rows * (k + 1);
        if (chars) {
            Py_ssize_t P = plain_padded(buf, L, padded);
            for (Py_ssize_t j = 0; j < P; j++) digits[j] = bmp[(unsigned char)padded[j]];
            if (fn + P * (max_n - min_n + 1) > f_cap) { error = "plain_learn: f_flat is too short"; break; }
            Py_ssize_t got = word_features(digits, P, pairs, size, bits, u, idf2, nf, k, base, min_n, max_n,
                                           f_flat + fn, o);
            if (got < 0) { error = "plain_learn: a feature id is out of range"; break; }
            fn += got;
        } else {
            for (Py_ssize_t c = 0; c <= k; c++) o[c] = 0.0;
        }
        int64_t *mr = meta + rows * META_WIDTH;
        mr[D_START] = d_at + d0; mr[D_LEN] = dn - d0;
        mr[F_START] = f_at + f0; mr[F_LEN] = fn - f0;
        mr[A_START] = a_at + an; mr[A_LEN] = len;
        mr[6] = mr[7] = 0;
        an += len;
        learnt[w] = 1;
        rows++;
    }
    PyMem_Free(buf); PyMem_Free(digits);
    if (error) {
        Py_DECREF(mask);
        return fail(b, N_ARGS, error);
    }
    release_all(b, N_ARGS);
    if (PyErr_Occurred()) {
        Py_DECREF(mask);
        return NULL;
    }
    return Py_BuildValue("Nnnnn", mask, rows, dn, fn, an);
}

static PyMethodDef methods[] = {
    {"find_rows", find_rows, METH_VARARGS, "Split a text on white space and find each word's cache row (see _kernel.c)."},
    {"insert", insert, METH_VARARGS, "Add words to the cache's hash table (see _kernel.c)."},
    {"word_scores", word_scores, METH_VARARGS, "Word-block scores of a batch, added to out (see _kernel.c)."},
    {"char_scores", char_scores, METH_VARARGS, "Character-block scores of a batch, added to out (see _kernel.c)."},
    {"char_learn", char_learn, METH_VARARGS, "Character features of new words and their sums U and Q (see _kernel.c)."},
    {"char_sums", char_sums, METH_VARARGS, "U and Q of cache rows for other output columns (see _kernel.c)."},
    {"plain_learn", plain_learn, METH_VARARGS, "Cache rows of new plain words (see _kernel.c)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernel", "Compiled inner loops of stancecls.compiled.", -1, methods};

PyMODINIT_FUNC PyInit__kernel(void) {
    for (int c = 1; c < N_LOG; c++) LOG_TF[c] = log((double)c) + 1.0;
    return PyModule_Create(&module);
}
