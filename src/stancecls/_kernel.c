/* The character-block scores of the compiled predictor, paragraph by paragraph.
 *
 * NumPy computes the same thing (stancecls/compiled.py, CompiledModel._char_scores_numpy) in a dozen passes
 * over every n-gram occurrence of a batch; this loop makes one. It takes only buffers (no NumPy C API), so
 * it builds against any NumPy, and every index is checked, so a damaged model cannot make it read out of
 * bounds.
 *
 * A paragraph's score is the sum of its pieces' cached U (sum of idf*W over the piece's occurrences), plus,
 * for each feature the paragraph holds c > 1 times, (g(c) - c) * idf*W with g the tf weighting; its squared
 * norm likewise from Q (sum of idf**2) and (g(c)**2 - c) * idf**2. Only repeated features touch the weight
 * table, which keeps the loop out of main memory.
 *
 * char_scores(pos, start, length, fids, U, Q, char_u, idf2, sublinear, n, out)
 *   pos     int64[m]      pieces of the batch in order; 0 ends a paragraph
 *   start   int64[P]      first occurrence of each piece in fids
 *   length  int64[P]      occurrences of each piece
 *   fids    int64[F]      feature id of every char_wb n-gram occurrence, piece by piece
 *   U       float64[P*k]  per piece: sum of idf(f) * W[f, :] over its occurrences
 *   Q       float64[P]    per piece: sum of idf(f)**2 over its occurrences
 *   char_u  float64[nf*k] idf(f) * W[f, :] of each character feature
 *   idf2    float64[nf]   idf(f)**2
 *   out     float64[n*k]  scores, added to: row r gets S / sqrt(N2) for paragraph r
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static int get(PyObject *obj, Py_buffer *view, const char *format, Py_ssize_t itemsize, int writable, const char *name) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    if (view->itemsize != itemsize || view->format == NULL || strchr(format, view->format[0]) == NULL) {
        PyErr_Format(PyExc_TypeError, "%s: expected a C-contiguous array of format %s", name, format);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *char_scores(PyObject *self, PyObject *args) {
    enum { POS, START, LEN, FIDS, U, Q, CHAR_U, IDF2, OUT, N_ARGS };
    PyObject *objs[N_ARGS];
    int sublinear;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "OOOOOOOOpnO", &objs[POS], &objs[START], &objs[LEN], &objs[FIDS], &objs[U], &objs[Q],
                          &objs[CHAR_U], &objs[IDF2], &sublinear, &n, &objs[OUT]))
        return NULL;
    Py_buffer b[N_ARGS];
    const char *names[N_ARGS] = {"pos", "start", "length", "fids", "U", "Q", "char_u", "idf2", "out"};
    int got = 0;
    for (; got < N_ARGS; got++)
        if (get(objs[got], &b[got], got <= FIDS ? "lq" : "d", 8, got == OUT, names[got]) < 0)
            goto fail;

    const int64_t *pos = b[POS].buf, *start = b[START].buf, *length = b[LEN].buf, *fids = b[FIDS].buf;
    const double *pu = b[U].buf, *pq = b[Q].buf, *u = b[CHAR_U].buf, *idf2 = b[IDF2].buf;
    double *out = b[OUT].buf;
    Py_ssize_t m = b[POS].len / 8, n_pieces = b[START].len / 8, n_occ = b[FIDS].len / 8, nf = b[IDF2].len / 8;
    if (b[LEN].len != b[START].len || b[Q].len < b[START].len || nf == 0 || b[CHAR_U].len % (8 * nf) != 0 || n < 0) {
        PyErr_SetString(PyExc_ValueError, "char_scores: array sizes do not match");
        goto fail;
    }
    Py_ssize_t k = b[CHAR_U].len / (8 * nf);
    if (b[OUT].len / 8 != n * k || b[U].len / 8 < n_pieces * k) {
        PyErr_SetString(PyExc_ValueError, "char_scores: out or U has the wrong size");
        goto fail;
    }
    int32_t *count = PyMem_Calloc((size_t)nf, sizeof(int32_t));
    int64_t *dup = PyMem_Malloc(sizeof(int64_t) * (size_t)nf); /* features seen twice in one paragraph */
    double *S = PyMem_Malloc(sizeof(double) * (size_t)(k > 0 ? k : 1));
    if (!count || !dup || !S) {
        PyMem_Free(count); PyMem_Free(dup); PyMem_Free(S);
        PyErr_NoMemory();
        goto fail;
    }
    int bad = 0;
    Py_ssize_t row = 0, i = 0;
    Py_BEGIN_ALLOW_THREADS
    while (i <= m && !bad) {
        /* one paragraph: the pieces up to the next separator (0) or the end */
        Py_ssize_t first = i, n_dup = 0;
        double N2 = 0.0;
        memset(S, 0, sizeof(double) * (size_t)k);
        for (; i < m && pos[i] != 0; i++) {
            int64_t p = pos[i];
            if (p < 0 || p >= n_pieces || start[p] < 0 || length[p] < 0 || start[p] + length[p] > n_occ) { bad = 1; break; }
            const double *up = pu + p * k;
            for (Py_ssize_t c = 0; c < k; c++) S[c] += up[c];
            N2 += pq[p];
            for (int64_t j = start[p]; j < start[p] + length[p]; j++) {
                int64_t f = fids[j];
                if (f < 0 || f >= nf) { bad = 1; break; }
                if (++count[f] == 2) dup[n_dup++] = f;
            }
            if (bad) break;
        }
        if (bad) break;
        Py_ssize_t last = i;
        for (Py_ssize_t d = 0; d < n_dup; d++) {
            int64_t f = dup[d];
            double c = (double)count[f];
            double g = sublinear ? log(c) + 1.0 : c;
            const double *uf = u + f * k;
            for (Py_ssize_t c2 = 0; c2 < k; c2++) S[c2] += (g - c) * uf[c2];
            N2 += (g * g - c) * idf2[f];
        }
        for (Py_ssize_t q = first; q < last; q++) /* clear the counts for the next paragraph */
            for (int64_t j = start[pos[q]]; j < start[pos[q]] + length[pos[q]]; j++) count[fids[j]] = 0;
        if (row >= n) { if (last > first) bad = 1; break; }
        if (N2 > 0.0) {
            double norm = sqrt(N2);
            for (Py_ssize_t c2 = 0; c2 < k; c2++) out[row * k + c2] += S[c2] / norm;
        }
        row++;
        i++; /* past the separator */
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(count); PyMem_Free(dup); PyMem_Free(S);
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "char_scores: an index is out of range");
        goto fail;
    }
    for (int j = 0; j < got; j++) PyBuffer_Release(&b[j]);
    Py_RETURN_NONE;
fail:
    for (int j = 0; j < got; j++) PyBuffer_Release(&b[j]);
    return NULL;
}

static PyMethodDef methods[] = {
    {"char_scores", char_scores, METH_VARARGS, "Character-block scores of a batch, added to out (see _kernel.c)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernel", "Compiled inner loop of stancecls.compiled.", -1, methods};

PyMODINIT_FUNC PyInit__kernel(void) { return PyModule_Create(&module); }
