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
 * U (k values: sum over its occurrences of idf * W) and Q (sum of idf**2).
 *
 * find_rows(text, slots, meta, arena, out) -> (words, missing)
 *   Splits text on white space and sets out[i] to the row of the i-th word, -1 for a word not in the table.
 *   slots is an open-addressing table of (hash, row) pairs, hash 0 meaning empty.
 * insert(words, rows, slots) -> None
 *   Adds words (whose meta and arena entries are already written) to the table.
 * rows(raw, table, out) -> k
 *   out[i] = table[raw[i]] for the leading words that are in the dict; k is how many.
 * word_scores(rows, meta, d_flat, keys, values, idf, W, base, min_n, max_n, sublinear, n, out)
 *   TF-IDF of the word n-grams of every paragraph (codes in bijective base `base`, looked up in the
 *   open-addressing table keys/values with Fibonacci hashing, as in CodeTable), L2-normalised, times W
 *   (rows 0..len(idf)-1 of the weights, k columns), added to out[n*k].
 * char_scores(rows, meta, f_flat, UQ, char_u, idf2, sublinear, n, out)
 *   A paragraph's character score is the sum of its words' U, plus, for each feature it holds c > 1 times,
 *   (g(c) - c) * idf*W with g the tf weighting, over the square root of the sum of their Q plus
 *   (g(c)**2 - c) * idf**2. Only repeated features touch the weight table.
 * char_learn(digits, lens, keys, values, char_u, idf2, base, min_n, max_n, fids, counts, UQ) -> total
 *   For new words, each given as the character digits of its padded pieces (word i has lens[i] of them):
 *   the feature ids of its char_wb n-gram occurrences, in feature order, written to fids one word after
 *   another (counts[i] of them), and its UQ row (sum of char_u over them, then sum of idf2).
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

typedef struct { int32_t stamp; int32_t count; } tally;

static int get(PyObject *obj, Py_buffer *view, char kind, int writable, const char *name) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    const char *formats = kind == 'i' ? "lq" : kind == 'u' ? "IL" : "d";
    Py_ssize_t size = kind == 'u' ? 4 : 8;
    if (view->itemsize != size || view->format == NULL || strchr(formats, view->format[0]) == NULL) {
        PyErr_Format(PyExc_TypeError, "%s: expected a C-contiguous array of %s", name,
                     kind == 'i' ? "int64" : kind == 'u' ? "uint32" : "float64");
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* Acquire buffers: kinds[i] is 'i' (int64), 'u' (uint32) or 'd' (float64); those marked in `writable` are written. */
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
static inline int64_t lookup(uint64_t code, const int64_t *keys, const int64_t *values, Py_ssize_t size, int bits) {
    uint64_t mask = (uint64_t)size - 1, slot = (code * 0x9E3779B97F4A7C15ULL) >> (64 - bits);
    for (Py_ssize_t probe = 0; probe < size; probe++, slot = (slot + 1) & mask) {
        if (keys[slot] == (int64_t)code) return values[slot];
        if (keys[slot] == -1) break;
    }
    return -1;
}

#define LEN(i) (b[i].len / b[i].itemsize)

static inline uint64_t mix(uint64_t h, Py_UCS4 c) { return (h ^ c) * 0x100000001b3ULL; }
static inline uint64_t finish(uint64_t h) { h ^= h >> 29; return h ? h : 1; } /* 0 marks an empty slot */

static uint64_t hash_str(PyObject *s) {
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    uint64_t h = 0xcbf29ce484222325ULL;
    for (Py_ssize_t i = 0, n = PyUnicode_GET_LENGTH(s); i < n; i++) h = mix(h, PyUnicode_READ(kind, data, i));
    return finish(h);
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
    Py_BEGIN_ALLOW_THREADS
    while (i < length) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (Py_UNICODE_ISSPACE(c)) { i++; continue; }
        Py_ssize_t first = i;
        uint64_t h = 0xcbf29ce484222325ULL;
        for (; i < length; i++) {
            c = PyUnicode_READ(kind, data, i);
            if (Py_UNICODE_ISSPACE(c)) break;
            h = mix(h, c);
        }
        h = finish(h);
        Py_ssize_t len = i - first;
        int64_t row = -1;
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
    release_all(b, N_ARGS);
    return Py_BuildValue("nn", words, missing);
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

static PyObject *rows(PyObject *self, PyObject *args) {
    PyObject *raw, *table, *outobj;
    if (!PyArg_ParseTuple(args, "O!O!O", &PyList_Type, &raw, &PyDict_Type, &table, &outobj))
        return NULL;
    Py_buffer view;
    if (get(outobj, &view, 'i', 1, "out") < 0)
        return NULL;
    Py_ssize_t m = PyList_GET_SIZE(raw), i = 0;
    if (view.len / 8 < m) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "rows: out is shorter than raw");
        return NULL;
    }
    int64_t *out = view.buf;
    for (; i < m; i++) {
        PyObject *v = PyDict_GetItemWithError(table, PyList_GET_ITEM(raw, i));
        if (v == NULL) {
            if (PyErr_Occurred()) { PyBuffer_Release(&view); return NULL; }
            break;
        }
        long long r = PyLong_AsLongLong(v);
        if (r == -1 && PyErr_Occurred()) { PyBuffer_Release(&view); return NULL; }
        out[i] = r;
    }
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(i);
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
    enum { ROWS, META_, FLAT, KEYS, VALUES, IDF, W, OUT, N_ARGS };
    static const char *const names[N_ARGS] = {"rows", "meta", "d_flat", "keys", "values", "idf", "W", "out"};
    PyObject *objs[N_ARGS];
    long long base, min_n, max_n;
    int sublinear;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "OOOOOOOLLLpnO", &objs[ROWS], &objs[META_], &objs[FLAT], &objs[KEYS], &objs[VALUES],
                          &objs[IDF], &objs[W], &base, &min_n, &max_n, &sublinear, &n, &objs[OUT]))
        return NULL;
    Py_buffer b[N_ARGS];
    if (get_all(objs, b, "iiiiiddd", "-------w", names) < 0)
        return NULL;
    const int64_t *rows = b[ROWS].buf, *meta = b[META_].buf, *flat = b[FLAT].buf;
    const int64_t *keys = b[KEYS].buf, *values = b[VALUES].buf;
    const double *idf = b[IDF].buf, *w = b[W].buf;
    double *out = b[OUT].buf;
    Py_ssize_t m = LEN(ROWS), n_rows = LEN(META_) / META_WIDTH, nf = LEN(IDF), size = LEN(KEYS);
    Py_ssize_t k = n > 0 ? LEN(OUT) / n : 0;
    int bits = 0;
    while (((Py_ssize_t)1 << bits) < size) bits++;
    const char *error = NULL;
    if (n <= 0 || n >= INT32_MAX || LEN(OUT) != n * k || LEN(VALUES) != size || size < 2 || size != ((Py_ssize_t)1 << bits)
        || k == 0 || LEN(W) < nf * k || min_n < 1 || max_n < min_n || max_n > 16 || base < 3)
        error = "word_scores: array sizes or settings do not fit";
    else if (check_rows(rows, m, meta, n_rows, D_START, LEN(FLAT), n) < 0)
        error = "word_scores: an index is out of range";
    if (error)
        return fail(b, N_ARGS, error);
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < m; i++) total += meta[rows[i] * META_WIDTH + D_LEN];
    int64_t *digits = PyMem_Malloc(sizeof(int64_t) * (size_t)(total + 1));
    int64_t *seen = PyMem_Malloc(sizeof(int64_t) * (size_t)(total * max_n + 1));
    tally *t = PyMem_Calloc((size_t)(nf + 1), sizeof(tally));
    double *val = PyMem_Malloc(sizeof(double) * (size_t)(total * max_n + 1));
    if (!digits || !seen || !t || !val) {
        PyMem_Free(digits); PyMem_Free(seen); PyMem_Free(t); PyMem_Free(val);
        release_all(b, N_ARGS);
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
                int64_t f = lookup(code, keys, values, size, bits);
                if (f < 0) continue;
                if (f >= nf) { bad = 1; break; }
                if (t[f].stamp != stamp) { t[f].stamp = stamp; t[f].count = 0; seen[n_seen++] = f; }
                t[f].count++;
            }
            if (bad) break;
        }
        if (bad || n_seen == 0) continue;
        double norm2 = 0.0;
        for (Py_ssize_t s = 0; s < n_seen; s++) {
            double c = (double)t[seen[s]].count;
            val[s] = (sublinear ? log(c) + 1.0 : c) * idf[seen[s]];
            norm2 += val[s] * val[s];
        }
        if (norm2 <= 0.0) continue;
        double norm = sqrt(norm2), *o = out + row * k;
        for (Py_ssize_t s = 0; s < n_seen; s++) {
            const double *wf = w + seen[s] * k, v = val[s] / norm;
            for (Py_ssize_t c = 0; c < k; c++) o[c] += wf[c] * v;
        }
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(digits); PyMem_Free(seen); PyMem_Free(t); PyMem_Free(val);
    if (bad)
        return fail(b, N_ARGS, "word_scores: an index is out of range");
    release_all(b, N_ARGS);
    Py_RETURN_NONE;
}

static PyObject *char_scores(PyObject *self, PyObject *args) {
    enum { ROWS, META_, FLAT, UQ, CHAR_U, IDF2, OUT, N_ARGS };
    static const char *const names[N_ARGS] = {"rows", "meta", "f_flat", "UQ", "char_u", "idf2", "out"};
    PyObject *objs[N_ARGS];
    int sublinear;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "OOOOOOpnO", &objs[ROWS], &objs[META_], &objs[FLAT], &objs[UQ], &objs[CHAR_U],
                          &objs[IDF2], &sublinear, &n, &objs[OUT]))
        return NULL;
    Py_buffer b[N_ARGS];
    if (get_all(objs, b, "iiidddd", "------w", names) < 0)
        return NULL;
    const int64_t *rows = b[ROWS].buf, *meta = b[META_].buf, *fids = b[FLAT].buf;
    const double *uq = b[UQ].buf, *u = b[CHAR_U].buf, *idf2 = b[IDF2].buf;
    double *out = b[OUT].buf;
    Py_ssize_t m = LEN(ROWS), n_rows = LEN(META_) / META_WIDTH, nf = LEN(IDF2);
    Py_ssize_t k = n > 0 ? LEN(OUT) / n : 0;
    const char *error = NULL;
    if (n <= 0 || n >= INT32_MAX || LEN(OUT) != n * k || k == 0 || LEN(UQ) < n_rows * (k + 1) || LEN(CHAR_U) != nf * k)
        error = "char_scores: array sizes do not fit";
    else if (check_rows(rows, m, meta, n_rows, F_START, LEN(FLAT), n) < 0)
        error = "char_scores: an index is out of range";
    if (error)
        return fail(b, N_ARGS, error);
    tally *t = PyMem_Calloc((size_t)(nf + 1), sizeof(tally));
    int64_t *dup = PyMem_Malloc(sizeof(int64_t) * (size_t)(nf + 1)); /* features seen twice in a paragraph */
    double *S = PyMem_Malloc(sizeof(double) * (size_t)k);
    if (!t || !dup || !S) {
        PyMem_Free(t); PyMem_Free(dup); PyMem_Free(S);
        release_all(b, N_ARGS);
        return PyErr_NoMemory();
    }
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t i = 0;
    for (Py_ssize_t row = 0; row < n && !bad; row++) {
        Py_ssize_t first, last, n_dup = 0;
        int32_t stamp = (int32_t)(row + 1);
        next_paragraph(rows, m, &i, &first, &last);
        double N2 = 0.0;
        memset(S, 0, sizeof(double) * (size_t)k);
        for (Py_ssize_t q = first; q < last && !bad; q++) {
            const int64_t *mr = meta + rows[q] * META_WIDTH;
            const double *up = uq + rows[q] * (k + 1);
            for (Py_ssize_t c = 0; c < k; c++) S[c] += up[c];
            N2 += up[k];
            for (int64_t j = mr[F_START]; j < mr[F_START] + mr[F_LEN]; j++) {
                int64_t f = fids[j];
                if (f < 0 || f >= nf) { bad = 1; break; }
                if (t[f].stamp != stamp) { t[f].stamp = stamp; t[f].count = 1; }
                else if (++t[f].count == 2) dup[n_dup++] = f;
            }
        }
        if (bad) break;
        for (Py_ssize_t d = 0; d < n_dup; d++) {
            int64_t f = dup[d];
            double c = (double)t[f].count;
            double g = sublinear ? log(c) + 1.0 : c;
            const double *uf = u + f * k;
            for (Py_ssize_t c2 = 0; c2 < k; c2++) S[c2] += (g - c) * uf[c2];
            N2 += (g * g - c) * idf2[f];
        }
        if (N2 > 0.0) {
            double norm = sqrt(N2);
            for (Py_ssize_t c2 = 0; c2 < k; c2++) out[row * k + c2] += S[c2] / norm;
        }
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(t); PyMem_Free(dup); PyMem_Free(S);
    if (bad)
        return fail(b, N_ARGS, "char_scores: an index is out of range");
    release_all(b, N_ARGS);
    Py_RETURN_NONE;
}

static int by_value(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static PyObject *char_learn(PyObject *self, PyObject *args) {
    enum { DIGITS, LENS, KEYS, VALUES, CHAR_U, IDF2, FIDS, COUNTS, UQ, N_ARGS };
    static const char *const names[N_ARGS] = {"digits", "lens", "keys", "values", "char_u", "idf2", "fids", "counts", "UQ"};
    PyObject *objs[N_ARGS];
    long long base, min_n, max_n;
    if (!PyArg_ParseTuple(args, "OOOOOOLLLOOO", &objs[DIGITS], &objs[LENS], &objs[KEYS], &objs[VALUES], &objs[CHAR_U],
                          &objs[IDF2], &base, &min_n, &max_n, &objs[FIDS], &objs[COUNTS], &objs[UQ]))
        return NULL;
    Py_buffer b[N_ARGS];
    if (get_all(objs, b, "iiiiddiid", "-------ww", names) < 0)
        return NULL;
    const int64_t *digits = b[DIGITS].buf, *lens = b[LENS].buf, *keys = b[KEYS].buf, *values = b[VALUES].buf;
    const double *u = b[CHAR_U].buf, *idf2 = b[IDF2].buf;
    int64_t *fids = b[FIDS].buf, *counts = b[COUNTS].buf;
    double *uq = b[UQ].buf;
    Py_ssize_t n_words = LEN(LENS), n_digits = LEN(DIGITS), size = LEN(KEYS), nf = LEN(IDF2), cap = LEN(FIDS);
    Py_ssize_t k = nf > 0 ? LEN(CHAR_U) / nf : 0, total = 0;
    int bits = 0;
    while (((Py_ssize_t)1 << bits) < size) bits++;
    for (Py_ssize_t i = 0; i < n_words && total >= 0; i++) total = lens[i] < 0 ? -1 : total + lens[i];
    const char *error = NULL;
    if (total != n_digits || LEN(COUNTS) != n_words || LEN(VALUES) != size || size < 2 || size != ((Py_ssize_t)1 << bits)
        || nf == 0 || k == 0 || LEN(CHAR_U) != nf * k || LEN(UQ) != n_words * (k + 1) || min_n < 1 || max_n < min_n
        || max_n > 16 || base < 3 || cap < n_digits * (max_n - min_n + 1))
        error = "char_learn: array sizes or settings do not fit";
    if (error)
        return fail(b, N_ARGS, error);
    int bad = 0;
    Py_ssize_t at = 0, start = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t w = 0; w < n_words && !bad; w++) {
        const int64_t *d = digits + start;
        Py_ssize_t L = lens[w], first = at;
        for (Py_ssize_t p = 0; p < L; p++) {
            uint64_t code = 0;
            for (Py_ssize_t j = 0; j < max_n && p + j < L; j++) {
                code = code * (uint64_t)base + (uint64_t)d[p + j];
                if (j + 1 < min_n) continue;
                int64_t f = lookup(code, keys, values, size, bits);
                if (f < 0) continue;
                if (f >= nf) bad = 1;
                else fids[at++] = f;
            }
        }
        /* in feature order, as the NumPy path stores them, so both sum U and Q in the same order */
        qsort(fids + first, (size_t)(at - first), sizeof(int64_t), by_value);
        counts[w] = at - first;
        double *o = uq + w * (k + 1), q = 0.0;
        for (Py_ssize_t c = 0; c <= k; c++) o[c] = 0.0;
        for (Py_ssize_t s = first; s < at && !bad; s++) {
            const double *uf = u + fids[s] * k;
            for (Py_ssize_t c = 0; c < k; c++) o[c] += uf[c];
            q += idf2[fids[s]];
        }
        o[k] = q;
        start += L;
    }
    Py_END_ALLOW_THREADS
    if (bad)
        return fail(b, N_ARGS, "char_learn: a feature id is out of range");
    release_all(b, N_ARGS);
    return PyLong_FromSsize_t(at);
}

static PyMethodDef methods[] = {
    {"find_rows", find_rows, METH_VARARGS, "Split a text on white space and find each word's cache row (see _kernel.c)."},
    {"insert", insert, METH_VARARGS, "Add words to the cache's hash table (see _kernel.c)."},
    {"rows", rows, METH_VARARGS, "Cache rows of the leading raw words found in a dict (see _kernel.c)."},
    {"word_scores", word_scores, METH_VARARGS, "Word-block scores of a batch, added to out (see _kernel.c)."},
    {"char_scores", char_scores, METH_VARARGS, "Character-block scores of a batch, added to out (see _kernel.c)."},
    {"char_learn", char_learn, METH_VARARGS, "Character features of new words and their sums U and Q (see _kernel.c)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernel", "Compiled inner loops of stancecls.compiled.", -1, methods};

PyMODINIT_FUNC PyInit__kernel(void) { return PyModule_Create(&module); }
