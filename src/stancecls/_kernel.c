/* The character-block scores of the compiled predictor, paragraph by paragraph.
 *
 * NumPy computes the same thing (stancecls/compiled.py, CompiledModel._char_scores_numpy); this loop
 * exists because it touches each n-gram occurrence once, where the array version needs a dozen passes
 * over every occurrence of a batch. It takes only buffers (no NumPy C API), so it builds against any
 * NumPy, and every index is checked, so a damaged model cannot make it read out of bounds.
 *
 * char_scores(pos, start, length, fids, char_u, idf2, sublinear, n, out)
 *   pos     int64[m]      pieces of the batch in order; 0 ends a paragraph
 *   start   int64[P]      first occurrence of each piece in fids
 *   length  int64[P]      occurrences of each piece
 *   fids    int64[F]      feature id of every char_wb n-gram occurrence, piece by piece
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
    PyObject *o_pos, *o_start, *o_len, *o_fids, *o_u, *o_idf2, *o_out;
    int sublinear;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "OOOOOOpnO", &o_pos, &o_start, &o_len, &o_fids, &o_u, &o_idf2, &sublinear, &n, &o_out))
        return NULL;
    Py_buffer b[7];
    PyObject *objs[7] = {o_pos, o_start, o_len, o_fids, o_u, o_idf2, o_out};
    const char *fmts[7] = {"lq", "lq", "lq", "lq", "d", "d", "d"};
    const char *names[7] = {"pos", "start", "length", "fids", "char_u", "idf2", "out"};
    int got = 0;
    for (; got < 7; got++)
        if (get(objs[got], &b[got], fmts[got], 8, got == 6, names[got]) < 0)
            goto fail;

    const int64_t *pos = b[0].buf, *start = b[1].buf, *length = b[2].buf, *fids = b[3].buf;
    const double *u = b[4].buf, *idf2 = b[5].buf;
    double *out = b[6].buf;
    Py_ssize_t m = b[0].len / 8, n_pieces = b[1].len / 8, n_occ = b[3].len / 8, nf = b[5].len / 8;
    if (b[2].len != b[1].len || nf == 0 || b[4].len % (8 * nf) != 0 || n < 0) {
        PyErr_SetString(PyExc_ValueError, "char_scores: array sizes do not match");
        goto fail;
    }
    Py_ssize_t k = b[4].len / (8 * nf);
    if (b[6].len / 8 != n * k) {
        PyErr_SetString(PyExc_ValueError, "char_scores: out has the wrong size");
        goto fail;
    }
    int32_t *count = PyMem_Calloc((size_t)nf, sizeof(int32_t));
    int64_t *seen = PyMem_Malloc(sizeof(int64_t) * (size_t)nf);  /* distinct features of one paragraph */
    double *S = PyMem_Malloc(sizeof(double) * (size_t)(k > 0 ? k : 1));
    if (!count || !seen || !S) {
        PyMem_Free(count); PyMem_Free(seen); PyMem_Free(S);
        PyErr_NoMemory();
        goto fail;
    }
    int bad = 0;
    Py_ssize_t row = 0, i = 0;
    Py_BEGIN_ALLOW_THREADS
    while (i <= m && !bad) {
        /* one paragraph: the pieces up to the next separator (0) or the end */
        Py_ssize_t n_seen = 0;
        for (; i < m && pos[i] != 0; i++) {
            int64_t p = pos[i];
            if (p < 0 || p >= n_pieces || start[p] < 0 || length[p] < 0 || start[p] + length[p] > n_occ) { bad = 1; break; }
            for (int64_t j = start[p]; j < start[p] + length[p]; j++) {
                int64_t f = fids[j];
                if (f < 0 || f >= nf) { bad = 1; break; }
                if (count[f]++ == 0) {
                    if (n_seen >= nf) { bad = 1; break; }
                    seen[n_seen++] = f;
                }
            }
            if (bad) break;
        }
        if (bad) break;
        if (row >= n) { if (n_seen) bad = 1; break; }
        double N2 = 0.0;
        memset(S, 0, sizeof(double) * (size_t)k);
        for (Py_ssize_t s = 0; s < n_seen; s++) {
            int64_t f = seen[s];
            double c = (double)count[f];
            double g = sublinear ? log(c) + 1.0 : c;
            const double *uf = u + f * k;
            for (Py_ssize_t c2 = 0; c2 < k; c2++) S[c2] += g * uf[c2];
            N2 += g * g * idf2[f];
            count[f] = 0;
        }
        if (N2 > 0.0) {
            double norm = sqrt(N2);
            for (Py_ssize_t c2 = 0; c2 < k; c2++) out[row * k + c2] += S[c2] / norm;
        }
        row++;
        i++; /* past the separator */
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(count); PyMem_Free(seen); PyMem_Free(S);
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
