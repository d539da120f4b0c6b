/* PySastrawi's stemmer (Sastrawi 1.0.1: Stemmer.stem_singular_word, i.e. Context.execute), compiled.
 *
 * PySastrawi spends about 100 microseconds on a word it has not seen: each of its 60 prefix rules is a Python
 * object that compiles and runs a regular expression. This file follows the same steps in the same order
 * (file and function names below are PySastrawi's) on a byte buffer, so a first pass over new text is not
 * bound by stemming. It is a port, not a different stemmer: it must return exactly what PySastrawi returns,
 * which tests/test_stemmer.py checks against PySastrawi itself on every distinct word of real news.
 *
 * It only takes words of 4 to MAXLEN letters a-z (what stancecls passes after its own tokenising); for any
 * other word stem() returns None and the caller asks PySastrawi.
 *
 * Stemmer(words)   the root-word dictionary (PySastrawi's kata-dasar.txt, read by the caller)
 * .stem(word)      -> the stem, or None when the word is not one this port handles
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAXLEN 60
#define BUF 128 /* no step makes a word longer than 3 letters over MAXLEN */
#define MAXREM 32 /* a list holds at most 15 removals; more is reported as overflow */

/* ------------------------------------------------------------------ the dictionary: a set of byte strings */
typedef struct {
    PyObject_HEAD
    char *arena;
    uint32_t *start; /* slot -> offset + 1 into arena; 0 = empty */
    uint16_t *len;
    size_t mask;
} Stemmer;

static uint64_t fnv(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static int contains(const Stemmer *d, const char *s, int n) {
    if (n <= 0) return 0; /* PySastrawi's dictionary holds no empty word, and None (n < 0) is in no dict */
    for (size_t i = fnv(s, (size_t)n) & d->mask;; i = (i + 1) & d->mask) {
        uint32_t at = d->start[i];
        if (at == 0) return 0;
        if (d->len[i] == n && memcmp(d->arena + at - 1, s, (size_t)n) == 0) return 1;
    }
}

/* ------------------------------------------------------------------ letters */
static int V(char c) { return c == 'a' || c == 'i' || c == 'u' || c == 'e' || c == 'o'; }
static int C(char c) { return c >= 'a' && c <= 'z' && !V(c); } /* [bcdfghjklmnpqrstvwxyz] */
static int in(char c, const char *set) { return c != 0 && strchr(set, c) != NULL; }
static int starts(const char *w, int n, const char *p) {
    int k = (int)strlen(p);
    return n >= k && memcmp(w, p, (size_t)k) == 0;
}
static int ends(const char *w, int n, const char *p) {
    int k = (int)strlen(p);
    return n >= k && memcmp(w + n - k, p, (size_t)k) == 0;
}

/* out = head + w[from:]; returns the length */
static int make(char *out, const char *head, const char *w, int n, int from) {
    int k = (int)strlen(head);
    memmove(out + k, w + from, (size_t)(n - from)); /* out may be w itself: move the tail first */
    memcpy(out, head, (size_t)k);
    out[k + n - from] = 0;
    return k + n - from;
}

/* ------------------------------------------------------------------ Morphology/Disambiguator
 * Each returns the rule's result written to out, or -1 where the rule returns None. w has n letters and a
 * terminating 0, so w[i] for i <= n is readable (a 0 fails every class test). */
typedef int (*rule)(const char *w, int n, char *out);

#define RULE(name, cond, head, from) \
    static int name(const char *w, int n, char *out) { return (cond) ? make(out, head, w, n, from) : -1; }

RULE(r1a, starts(w, n, "ber") && V(w[3]), "", 3)
RULE(r1b, starts(w, n, "ber") && V(w[3]), "r", 3)
RULE(r2, starts(w, n, "ber") && C(w[3]) && w[4] && !(w[5] == 'e' && w[6] == 'r'), "", 3)
RULE(r3, starts(w, n, "ber") && C(w[3]) && w[4] && w[5] == 'e' && w[6] == 'r' && V(w[7]) && w[3] != 'r', "", 3)
static int r4(const char *w, int n, char *out) { return strcmp(w, "belajar") == 0 ? make(out, "ajar", "", 0, 0) : -1; }
RULE(r5, starts(w, n, "be") && in(w[2], "bcdfghjklmnpqstvwxyz") && w[3] == 'e' && w[4] == 'r' && C(w[5]), "", 2)
RULE(r6a, starts(w, n, "ter") && V(w[3]), "", 3)
RULE(r6b, starts(w, n, "ter") && V(w[3]), "r", 3)
RULE(r7, starts(w, n, "ter") && C(w[3]) && w[4] == 'e' && w[5] == 'r' && V(w[6]) && w[3] != 'r', "", 3)
RULE(r8, starts(w, n, "ter") && C(w[3]) && w[3] != 'r' && !(w[4] == 'e' && w[5] == 'r'), "", 3)
RULE(r9, starts(w, n, "te") && C(w[2]) && w[3] == 'e' && w[4] == 'r' && C(w[5]) && w[2] != 'r', "", 2)
RULE(r10, starts(w, n, "me") && in(w[2], "lrwy") && V(w[3]), "", 2)
RULE(r11, starts(w, n, "mem") && in(w[3], "bfv"), "", 3)
RULE(r12, starts(w, n, "mempe"), "", 3)
RULE(r13a, starts(w, n, "mem") && V(w[3]), "m", 3)
RULE(r13b, starts(w, n, "mem") && V(w[3]), "p", 3)
RULE(r14, starts(w, n, "men") && in(w[3], "cdjstz"), "", 3)
RULE(r15a, starts(w, n, "men") && V(w[3]), "n", 3)
RULE(r15b, starts(w, n, "men") && V(w[3]), "t", 3)
RULE(r16, starts(w, n, "meng") && in(w[4], "ghqk"), "", 4)
RULE(r17a, starts(w, n, "meng") && V(w[4]), "", 4)
RULE(r17b, starts(w, n, "meng") && V(w[4]), "k", 4)
RULE(r17c, starts(w, n, "menge"), "", 5)
RULE(r17d, starts(w, n, "meng") && V(w[4]), "ng", 4)
RULE(r18a, starts(w, n, "meny") && V(w[4]), "ny", 4)
RULE(r18b, starts(w, n, "meny") && V(w[4]), "s", 4)
RULE(r19, starts(w, n, "memp") && in(w[4], "abcdfghijklmopqrstuvwxyz"), "p", 4)
RULE(r20, starts(w, n, "pe") && in(w[2], "wy") && V(w[3]), "", 2)
RULE(r21a, starts(w, n, "per") && V(w[3]), "", 3)
RULE(r21b, starts(w, n, "per") && V(w[3]), "", 2)
RULE(r23, starts(w, n, "per") && C(w[3]) && w[4] && !(w[5] == 'e' && w[6] == 'r'), "", 3)
RULE(r24, starts(w, n, "per") && C(w[3]) && w[4] && w[5] == 'e' && w[6] == 'r' && V(w[7]) && w[3] != 'r', "", 3)
RULE(r25, starts(w, n, "pem") && in(w[3], "bfv"), "", 3)
RULE(r26a, starts(w, n, "pem") && V(w[3]), "m", 3)
RULE(r26b, starts(w, n, "pem") && V(w[3]), "p", 3)
RULE(r27, starts(w, n, "pen") && in(w[3], "cdjstz"), "", 3)
RULE(r28a, starts(w, n, "pen") && V(w[3]), "n", 3)
RULE(r28b, starts(w, n, "pen") && V(w[3]), "t", 3)
RULE(r29, starts(w, n, "peng") && C(w[4]), "", 4)
RULE(r30a, starts(w, n, "peng") && V(w[4]), "", 4)
RULE(r30b, starts(w, n, "peng") && V(w[4]), "k", 4)
RULE(r30c, starts(w, n, "penge"), "", 5)
RULE(r31a, starts(w, n, "peny") && V(w[4]), "ny", 4)
RULE(r31b, starts(w, n, "peny") && V(w[4]), "s", 4)
static int r32(const char *w, int n, char *out) {
    if (strcmp(w, "pelajar") == 0) return make(out, "ajar", "", 0, 0);
    return starts(w, n, "pe") && w[2] == 'l' && V(w[3]) ? make(out, "", w, n, 2) : -1;
}
RULE(r34, starts(w, n, "pe") && C(w[2]) && !(w[3] == 'e' && w[4] == 'r'), "", 2)
RULE(r35, starts(w, n, "ter") && in(w[3], "bcdfghjkpqstvxz") && w[4] == 'e' && w[5] == 'r' && C(w[6]), "", 3)
RULE(r36, starts(w, n, "pe") && in(w[2], "bcdfghjkpqstvxz") && w[3] == 'e' && w[4] == 'r' && C(w[5]), "", 2)
/* 37a-40a return the word itself; 37b-40b drop the infix (w[0] + w[3:]) */
#define INFIX(a, b, x, y) \
    RULE(a, C(w[0]) && w[1] == x && w[2] == y && V(w[3]), "", 0) \
    static int b(const char *w, int n, char *out) { \
        if (!(C(w[0]) && w[1] == x && w[2] == y && V(w[3]))) return -1; \
        char head[2] = {w[0], 0}; \
        return make(out, head, w, n, 3); \
    }
INFIX(r37a, r37b, 'e', 'r')
INFIX(r38a, r38b, 'e', 'l')
INFIX(r39a, r39b, 'e', 'm')
INFIX(r40a, r40b, 'i', 'n')
RULE(r41, starts(w, n, "ku"), "", 2)
RULE(r42, starts(w, n, "kau"), "", 3)

/* Stemmer/Context/Visitor/VisitorProvider.py: the prefix visitors after RemovePlainPrefix, in order */
static const rule GROUPS[][5] = {
    {r1a, r1b}, {r2}, {r3}, {r4}, {r5}, {r6a, r6b}, {r7}, {r8}, {r9}, {r10}, {r11}, {r12}, {r13a, r13b}, {r14},
    {r15a, r15b}, {r16}, {r17a, r17b, r17c, r17d}, {r18a, r18b}, {r19}, {r20}, {r21a, r21b}, {r23}, {r24},
    {r25}, {r26a, r26b}, {r27}, {r28a, r28b}, {r29}, {r30a, r30b, r30c}, {r31a, r31b}, {r32}, {r34}, {r35},
    {r36}, {r37a, r37b}, {r38a, r38b}, {r39a, r39b}, {r40a, r40b}, {r41}, {r42},
};
#define N_GROUPS ((int)(sizeof GROUPS / sizeof GROUPS[0]))

/* ------------------------------------------------------------------ Stemmer/Context/Context.py */
enum { DP, DS, PP, P };
typedef struct { int type; char subject[BUF]; char result[BUF]; int result_len; } Removal;

typedef struct {
    const Stemmer *d;
    char original[BUF];
    int original_len;
    char cur[BUF];
    int n;
    Removal *removals; /* the list self.removals names; the loop swaps it for its copy, as PySastrawi does */
    int *count;
    Removal list_a[MAXREM], list_b[MAXREM];
    int count_a, count_b;
    int overflow;
} Context;

static int in_dict(const Context *c) { return contains(c->d, c->cur, c->n); }

static void add_removal(Context *c, int type, const char *subject, const char *result, int result_len) {
    if (*c->count >= MAXREM) { c->overflow = 1; return; }
    Removal *r = &c->removals[(*c->count)++];
    r->type = type;
    strcpy(r->subject, subject);
    memcpy(r->result, result, (size_t)result_len + 1);
    r->result_len = result_len;
}

/* RemoveInflectionalParticle, RemoveInflectionalPossessivePronoun, RemoveDerivationalSuffix: the regex's
 * leftmost match that reaches the end of the word, i.e. the longest of its suffixes the word ends with */
static int suffix_length(const char *w, int n, int type) {
    if (type == P) return ends(w, n, "lah") || ends(w, n, "kah") || ends(w, n, "tah") || ends(w, n, "pun") ? 3 : 0;
    if (type == PP) return ends(w, n, "nya") ? 3 : ends(w, n, "ku") || ends(w, n, "mu") ? 2 : 0;
    if (ends(w, n, "isasi")) return 5;
    if (ends(w, n, "isme")) return 4;
    if (ends(w, n, "kan")) return 3;
    if (ends(w, n, "is") || ends(w, n, "an")) return 2;
    return ends(w, n, "i") ? 1 : 0;
}

static void remove_suffix(Context *c, int type) {
    int k = suffix_length(c->cur, c->n, type);
    if (k == 0) return;
    char subject[BUF];
    strcpy(subject, c->cur);
    c->n -= k;
    c->cur[c->n] = 0;
    add_removal(c, type, subject, c->cur, c->n);
}

/* Context.remove_suffixes = accept_visitors(suffix_visitors) */
static void remove_suffixes(Context *c) {
    static const int order[] = {P, PP, DS};
    for (int i = 0; i < 3; i++) {
        remove_suffix(c, order[i]);
        if (in_dict(c)) return;
    }
}

/* AbstractDisambiguatePrefixRule.visit: the last disambiguator's result unless an earlier one is a word */
static void disambiguate(Context *c, const rule *group) {
    char result[BUF];
    int len = -1;
    for (int i = 0; i < 5 && group[i]; i++) {
        len = group[i](c->cur, c->n, result);
        if (contains(c->d, result, len)) break;
    }
    if (len < 0) return;
    add_removal(c, DP, c->cur, result, len);
    memcpy(c->cur, result, (size_t)len + 1);
    c->n = len;
}

/* Context.accept_prefix_visitors: RemovePlainPrefix, then the groups, until one removes something */
static void accept_prefix_visitors(Context *c) {
    int before = *c->count;
    if (starts(c->cur, c->n, "di") || starts(c->cur, c->n, "ke") || starts(c->cur, c->n, "se")) {
        char subject[BUF];
        strcpy(subject, c->cur);
        c->n = make(c->cur, "", c->cur, c->n, 2);
        add_removal(c, DP, subject, c->cur, c->n);
    }
    if (in_dict(c) || *c->count > before) return;
    for (int g = 0; g < N_GROUPS; g++) {
        disambiguate(c, GROUPS[g]);
        /* PySastrawi asks the dictionary after every group; a group that removed nothing left the word as it
         * was, not a word (or the loop would have ended), so only a removal (or an overflow, which makes the
         * result None whatever follows) can end it */
        if (*c->count > before || c->overflow) return;
    }
}

static void remove_prefixes(Context *c) {
    for (int i = 0; i < 3; i++) {
        accept_prefix_visitors(c);
        if (in_dict(c)) return;
    }
}

static void set_cur(Context *c, const char *s, const char *tail) {
    strcpy(c->cur, s);
    strcat(c->cur, tail);
    c->n = (int)strlen(c->cur);
}

/* ConfixStripping/PrecedenceAdjustmentSpecification.py */
static int precedence(const char *w, int n) {
    return (starts(w, n, "be") && n >= 5 && ends(w, n, "lah")) || (starts(w, n, "be") && n >= 4 && ends(w, n, "an")) ||
           (starts(w, n, "me") && n >= 3 && ends(w, n, "i")) || (starts(w, n, "di") && n >= 3 && ends(w, n, "i")) ||
           (starts(w, n, "pe") && n >= 3 && ends(w, n, "i")) || (starts(w, n, "ter") && n >= 4 && ends(w, n, "i"));
}

static void loop_pengembalian_akhiran(Context *c) {
    /* restore_prefix */
    if (*c->count > 0) set_cur(c, c->removals[0].subject, "");
    int k = 0;
    for (int i = 0; i < *c->count; i++)
        if (c->removals[i].type != DP) c->removals[k++] = c->removals[i];
    *c->count = k;
    /* removals = list(self.removals): the copy lives in list_b, self.removals stays list_a until the first
     * iteration ends; only how many entries a list holds matters after this point */
    memcpy(c->list_b, c->list_a, sizeof(Removal) * (size_t)k);
    c->count_b = k;
    char current_word[BUF];
    strcpy(current_word, c->cur);
    for (int i = k - 1; i >= 0; i--) {
        const Removal *r = &c->list_b[i]; /* entries below count_b at the start never change */
        if (r->type == DP) continue;
        if (strcmp(r->subject + r->result_len, "kan") == 0) { /* removed part == 'kan' */
            set_cur(c, r->result, "k");
            remove_prefixes(c);
            if (in_dict(c)) return;
            set_cur(c, r->result, "kan");
        } else {
            set_cur(c, r->subject, "");
        }
        remove_prefixes(c);
        if (in_dict(c)) return;
        c->removals = c->list_b;
        c->count = &c->count_b;
        set_cur(c, current_word, "");
    }
}

static void start_stemming_process(Context *c) {
    if (in_dict(c)) return;
    /* DontStemShortWord never stops a word of 4 letters or more */
    if (precedence(c->original, c->original_len)) {
        remove_prefixes(c);
        if (in_dict(c)) return;
        remove_suffixes(c);
        if (in_dict(c)) return;
        set_cur(c, c->original, "");
        *c->count = 0;
    }
    remove_suffixes(c);
    if (in_dict(c)) return;
    remove_prefixes(c);
    if (in_dict(c)) return;
    loop_pengembalian_akhiran(c);
}

/* ------------------------------------------------------------------ Python type */
static PyObject *Stemmer_stem(Stemmer *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "stem: expected a str");
        return NULL;
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(arg, &n);
    if (s == NULL) return NULL;
    if (n < 4 || n > MAXLEN) Py_RETURN_NONE;
    for (Py_ssize_t i = 0; i < n; i++)
        if (s[i] < 'a' || s[i] > 'z') Py_RETURN_NONE;
    Context *c = PyMem_Malloc(sizeof(Context));
    if (c == NULL) return PyErr_NoMemory();
    c->d = self;
    memcpy(c->original, s, (size_t)n + 1);
    c->original_len = (int)n;
    memcpy(c->cur, s, (size_t)n + 1);
    c->n = (int)n;
    c->removals = c->list_a;
    c->count = &c->count_a;
    c->count_a = c->count_b = 0;
    c->overflow = 0;
    start_stemming_process(c);
    PyObject *out;
    if (c->overflow)
        out = Py_NewRef(Py_None); /* more removals than MAXREM: let PySastrawi decide */
    else if (in_dict(c))
        out = PyUnicode_FromStringAndSize(c->cur, c->n);
    else
        out = Py_NewRef(arg);
    PyMem_Free(c);
    return out;
}

static int Stemmer_init(Stemmer *self, PyObject *args, PyObject *kwds) {
    PyObject *words;
    static char *kwlist[] = {"words", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O", kwlist, &words)) return -1;
    PyObject *seq = PySequence_Fast(words, "Stemmer: words must be a sequence of str");
    if (seq == NULL) return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq), total = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *w = PySequence_Fast_GET_ITEM(seq, i);
        Py_ssize_t n;
        if (!PyUnicode_Check(w) || PyUnicode_AsUTF8AndSize(w, &n) == NULL) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "Stemmer: words must be a sequence of str");
            Py_DECREF(seq);
            return -1;
        }
        total += n;
    }
    if (total >= UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "Stemmer: dictionary too large");
        Py_DECREF(seq);
        return -1;
    }
    size_t size = 1024;
    while (size < (size_t)count * 2) size <<= 1;
    PyMem_Free(self->arena);
    PyMem_Free(self->start);
    PyMem_Free(self->len);
    self->arena = PyMem_Malloc((size_t)total + 1);
    self->start = PyMem_Calloc(size, sizeof(uint32_t));
    self->len = PyMem_Calloc(size, sizeof(uint16_t));
    self->mask = size - 1;
    if (self->arena == NULL || self->start == NULL || self->len == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    size_t at = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(PySequence_Fast_GET_ITEM(seq, i), &n);
        if (n == 0 || n > MAXLEN + 8 || contains(self, s, (int)n)) continue; /* no candidate is longer */
        memcpy(self->arena + at, s, (size_t)n);
        size_t j = fnv(s, (size_t)n) & self->mask;
        while (self->start[j]) j = (j + 1) & self->mask;
        self->start[j] = (uint32_t)at + 1;
        self->len[j] = (uint16_t)n;
        at += (size_t)n;
    }
    Py_DECREF(seq);
    return 0;
}

static void Stemmer_dealloc(Stemmer *self) {
    PyMem_Free(self->arena);
    PyMem_Free(self->start);
    PyMem_Free(self->len);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Stemmer_reduce(Stemmer *self, PyObject *unused) {
    /* the stemmer is rebuilt from PySastrawi's dictionary where it is used; it is never saved with a model */
    PyErr_SetString(PyExc_TypeError, "the Sastrawi stemmer is not picklable");
    return NULL;
}

static PyMethodDef Stemmer_methods[] = {
    {"stem", (PyCFunction)Stemmer_stem, METH_O, "stem(word) -> PySastrawi's stem of word, or None if not handled."},
    {"__reduce__", (PyCFunction)Stemmer_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject StemmerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "stancecls._sastrawi.Stemmer",
    .tp_basicsize = sizeof(Stemmer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Stemmer(words): PySastrawi's stemmer over the root words `words`, compiled.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Stemmer_init,
    .tp_dealloc = (destructor)Stemmer_dealloc,
    .tp_methods = Stemmer_methods,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_sastrawi", "PySastrawi's stemmer, compiled.", -1, NULL};

PyMODINIT_FUNC PyInit__sastrawi(void) {
    if (PyType_Ready(&StemmerType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "Stemmer", (PyObject *)&StemmerType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
