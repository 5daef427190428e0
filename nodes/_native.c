/*
 * nodes._native: the hot loops of classify-lead in C (see nodes/native.py).
 *
 * Scorer: classify-lead's TF-IDF features and linear decision values for one message.
 *
 * The same arithmetic as FastFeatures.row and CategoryModel._decision in model.py, done in
 * one call without creating a Python object per n-gram or a numpy array per step: in a
 * busy server those steps, not the model, were most of a request's cost. model.py builds
 * the tables (the packed char n-gram hash table, the vocabulary, idf, weights) and keeps
 * the pure-Python path as the reference; tests/test_classify_lead.py checks both agree.
 *
 * Char part (TfidfVectorizer analyzer="char_wb"): every whitespace-separated word is padded
 * with one space on each side and its n-grams of length min_n..max_n are packed into one
 * 64-bit key (each character a digit (1 << bits) | code in base 1 << (bits + 1), as
 * _PackedGrams in model.py packs them), looked up in an open-addressing table of
 * `key << row_bits | row` built here from the vocabulary's keys.
 *
 * Word part (analyzer="word", token_pattern r"(?u)\b\w+\b"): tokens are maximal runs of
 * characters that `re` counts as word characters (alphanumeric or "_"); n-grams of
 * min_n..max_n tokens joined by one space are looked up in an open-addressing table of
 * the vocabulary keyed by a 64-bit FNV-1a hash of the code points, each hit checked
 * against the term itself.
 *
 * Then, per part, tf (1 + log count when sublinear) times idf, l2-normalised, and the
 * decision values bias + sum(value * W[row]).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORD_N 4
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL
#define GOLDEN 0x9e3779b97f4a7c15ULL

typedef struct {
    uint64_t hash;
    int64_t row; /* -1: empty slot */
    Py_ssize_t start, len; /* the term's code points in Scorer.term_chars */
} WordSlot;

typedef struct {
    PyObject_HEAD
    /* char part */
    Py_buffer char_table; /* uint16[0x110000]: code point -> code (0: not in any n-gram) */
    uint64_t *grams;      /* open addressing: key << row_bits | row, 0 = empty */
    uint64_t gram_mask, gram_shift, row_bits, row_mask;
    int bits, char_min_n, char_max_n, char_sublinear, char_l2;
    int64_t char_offset;
    /* word part */
    WordSlot *slots;
    uint64_t slot_mask;
    Py_UCS4 *term_chars;
    int word_min_n, word_max_n, word_sublinear, word_l2;
    /* model */
    Py_buffer idf;     /* float64[rows] */
    Py_buffer weights; /* float64[rows * k], row-major */
    Py_buffer bias;    /* float64[k] */
    Py_ssize_t rows, k;
    int has_buffers;
    /* sigmoid calibration (CalibratedClassifierCV): per decision value a slope and an offset */
    double *slopes, *offsets;
    Py_ssize_t folds;
} Scorer;

/* ---------------------------------------------------------------- small helpers */

static int is_space(Py_UCS4 ch) { return Py_UNICODE_ISSPACE(ch); }

/* what `re` counts as \w for str patterns */
static int is_word(Py_UCS4 ch) { return ch == '_' || Py_UNICODE_ISALNUM(ch); }

static uint64_t fnv_char(uint64_t h, Py_UCS4 ch) {
    /* four bytes per code point, so every code point contributes the same way */
    for (int i = 0; i < 4; i++) {
        h ^= (ch >> (8 * i)) & 0xff;
        h *= FNV_PRIME;
    }
    return h;
}

typedef struct {
    int64_t *rows;
    Py_ssize_t n, cap;
} Found;

static int found_add(Found *f, int64_t row) {
    if (f->n == f->cap) {
        Py_ssize_t cap = f->cap ? f->cap * 2 : 256;
        int64_t *grown = realloc(f->rows, (size_t)cap * sizeof(int64_t));
        if (!grown) {
            PyErr_NoMemory();
            return -1;
        }
        f->rows = grown;
        f->cap = cap;
    }
    f->rows[f->n++] = row;
    return 0;
}

/* ---------------------------------------------------------------- the char part */

/* All the char_wb n-gram keys of `doc` that can be in the vocabulary (no unknown character). */
static int char_keys(Scorer *s, PyObject *doc, uint64_t **keys_out, Py_ssize_t *n_out) {
    const int kind = PyUnicode_KIND(doc);
    const void *data = PyUnicode_DATA(doc);
    const Py_ssize_t size = PyUnicode_GET_LENGTH(doc);
    const uint16_t *table = (const uint16_t *)s->char_table.buf;
    const Py_ssize_t table_len = s->char_table.len / (Py_ssize_t)sizeof(uint16_t);
    const uint64_t base = (uint64_t)s->bits + 1, top = 1ULL << s->bits;
    const uint64_t space = top | (uint64_t)table[' '];
    /* at most (max_n - min_n + 1) keys per character of a padded word: words + 2 pads per word */
    const Py_ssize_t per = s->char_max_n - s->char_min_n + 1;
    uint64_t *digits = malloc((size_t)(size + 2) * sizeof(uint64_t));
    uint64_t *keys = malloc((size_t)(3 * size + 2) * (size_t)per * sizeof(uint64_t));
    Py_ssize_t n = 0, i = 0;
    if (!digits || !keys) {
        free(digits);
        free(keys);
        PyErr_NoMemory();
        return -1;
    }
    while (i < size) {
        while (i < size && is_space(PyUnicode_READ(kind, data, i))) i++;
        if (i >= size) break;
        Py_ssize_t end = i;
        while (end < size && !is_space(PyUnicode_READ(kind, data, end))) end++;
        /* the padded word " word " as digits */
        const Py_ssize_t len = end - i + 2;
        digits[0] = digits[len - 1] = space;
        for (Py_ssize_t j = i; j < end; j++) {
            Py_UCS4 ch = PyUnicode_READ(kind, data, j);
            digits[j - i + 1] = top | (ch < (Py_UCS4)table_len ? table[ch] : 0);
        }
        i = end;
        for (Py_ssize_t at = 0; at + s->char_min_n <= len; at++) {
            uint64_t key = 0;
            for (int k = 1; k <= s->char_max_n && at + k <= len; k++) {
                const uint64_t digit = digits[at + k - 1];
                if (digit == top) break; /* a character no n-gram has: no longer n-gram matches either */
                key = (key << base) | digit;
                if (k >= s->char_min_n) keys[n++] = key;
            }
        }
    }
    free(digits);
    *keys_out = keys;
    *n_out = n;
    return 0;
}

static inline uint64_t gram_slot(const Scorer *s, uint64_t key) { return (key * GOLDEN) >> s->gram_shift; }

static int char_grams(Scorer *s, PyObject *doc, Found *out) {
    uint64_t *keys;
    Py_ssize_t n;
    if (char_keys(s, doc, &keys, &n) < 0) return -1;
    /* every slot a lookup will start at is fetched before the first lookup: the table is
       bigger than the caches of a busy server, and the fetches overlap instead of queueing */
    for (Py_ssize_t i = 0; i < n; i++) __builtin_prefetch(s->grams + gram_slot(s, keys[i]));
    int rc = 0;
    for (Py_ssize_t i = 0; i < n && rc == 0; i++) {
        const uint64_t key = keys[i];
        for (uint64_t at = gram_slot(s, key);; at = (at + 1) & s->gram_mask) {
            const uint64_t entry = s->grams[at];
            if (!entry) break;
            if ((entry >> s->row_bits) == key) {
                rc = found_add(out, s->char_offset + (int64_t)(entry & s->row_mask));
                break;
            }
        }
    }
    free(keys);
    return rc;
}

/* ---------------------------------------------------------------- the word part */

static int64_t word_lookup(Scorer *s, uint64_t h, const Py_UCS4 *chars, Py_ssize_t len) {
    uint64_t at = h & s->slot_mask;
    for (;;) {
        const WordSlot *slot = &s->slots[at];
        if (slot->row < 0) return -1;
        if (slot->hash == h && slot->len == len &&
            memcmp(s->term_chars + slot->start, chars, (size_t)len * sizeof(Py_UCS4)) == 0)
            return slot->row;
        at = (at + 1) & s->slot_mask;
    }
}

static int word_grams(Scorer *s, PyObject *doc, Found *out) {
    const int kind = PyUnicode_KIND(doc);
    const void *data = PyUnicode_DATA(doc);
    const Py_ssize_t size = PyUnicode_GET_LENGTH(doc);
    /* the tokens, in order: start and length in `doc` */
    Py_ssize_t *starts = NULL, *lens = NULL, n_tokens = 0, cap = 0;
    Py_UCS4 *buf = NULL;
    Py_ssize_t buf_cap = 0;
    int rc = 0;

    for (Py_ssize_t i = 0; i < size;) {
        if (!is_word(PyUnicode_READ(kind, data, i))) {
            i++;
            continue;
        }
        Py_ssize_t end = i + 1;
        while (end < size && is_word(PyUnicode_READ(kind, data, end))) end++;
        if (n_tokens == cap) {
            cap = cap ? cap * 2 : 64;
            Py_ssize_t *s2 = realloc(starts, (size_t)cap * sizeof(Py_ssize_t));
            if (!s2) goto nomem;
            starts = s2;
            Py_ssize_t *l2 = realloc(lens, (size_t)cap * sizeof(Py_ssize_t));
            if (!l2) goto nomem;
            lens = l2;
        }
        starts[n_tokens] = i;
        lens[n_tokens++] = end - i;
        i = end;
    }
    for (Py_ssize_t t = 0; t < n_tokens; t++) {
        uint64_t h = FNV_OFFSET;
        Py_ssize_t len = 0;
        for (int n = 1; n <= s->word_max_n && t + n <= n_tokens; n++) {
            Py_ssize_t need = len + (n > 1) + lens[t + n - 1];
            if (need > buf_cap) {
                Py_ssize_t grown_cap = need * 2 + 64;
                Py_UCS4 *grown = realloc(buf, (size_t)grown_cap * sizeof(Py_UCS4));
                if (!grown) goto nomem;
                buf = grown;
                buf_cap = grown_cap;
            }
            if (n > 1) {
                buf[len++] = ' ';
                h = fnv_char(h, ' ');
            }
            for (Py_ssize_t j = 0; j < lens[t + n - 1]; j++) {
                Py_UCS4 ch = PyUnicode_READ(kind, data, starts[t + n - 1] + j);
                buf[len++] = ch;
                h = fnv_char(h, ch);
            }
            if (n < s->word_min_n) continue;
            int64_t row = word_lookup(s, h, buf, len);
            if (row >= 0 && found_add(out, row) < 0) {
                rc = -1;
                goto done;
            }
        }
    }
    goto done;
nomem:
    PyErr_NoMemory();
    rc = -1;
done:
    free(starts);
    free(lens);
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------- features and decision */

/* Distinct rows of `f` from `from` on, in order of first occurrence, with their tf-idf values, l2-normalised. */
static Py_ssize_t weigh(Scorer *s, Found *f, Py_ssize_t from, int sublinear, int l2, int64_t *rows,
                        double *values) {
    const Py_ssize_t n = f->n - from;
    const double *idf = (const double *)s->idf.buf;
    Py_ssize_t out = 0;
    if (n <= 0) return 0;
    /* count in a small open-addressing table of positions in rows/values (-1: empty) */
    int bits = 4;
    while (((Py_ssize_t)1 << bits) < 2 * n) bits++;
    const uint64_t mask = ((uint64_t)1 << bits) - 1;
    int32_t *slots = malloc(((size_t)1 << bits) * sizeof(int32_t));
    if (!slots) {
        PyErr_NoMemory();
        return -1;
    }
    memset(slots, 0xff, ((size_t)1 << bits) * sizeof(int32_t));
    for (Py_ssize_t i = 0; i < n; i++) {
        const int64_t row = f->rows[from + i];
        for (uint64_t at = ((uint64_t)row * GOLDEN) >> (64 - bits);; at = (at + 1) & mask) {
            if (slots[at] < 0) {
                slots[at] = (int32_t)out;
                rows[out] = row;
                values[out++] = 1.0;
                break;
            }
            if (rows[slots[at]] == row) {
                values[slots[at]] += 1.0;
                break;
            }
        }
    }
    free(slots);
    for (Py_ssize_t i = 0; i < out; i++) {
        __builtin_prefetch(idf + rows[i]);
        __builtin_prefetch((const double *)s->weights.buf + rows[i] * s->k);
    }
    double sum = 0.0;
    for (Py_ssize_t i = 0; i < out; i++) {
        const double count = values[i];
        values[i] = (sublinear && count > 1.0 ? 1.0 + log(count) : count) * idf[rows[i]];
        sum += values[i] * values[i];
    }
    if (l2) {
        const double norm = sqrt(sum);
        if (norm > 0.0)
            for (Py_ssize_t i = 0; i < out; i++) values[i] /= norm;
    }
    return out;
}

/* Rows and values of one message; returns the number of rows, -1 on error (caller frees). */
static Py_ssize_t features(Scorer *s, PyObject *char_doc, PyObject *word_doc, int64_t **rows_out,
                           double **values_out) {
    Found f = {NULL, 0, 0};
    *rows_out = NULL;
    *values_out = NULL;
    if (char_grams(s, char_doc, &f) < 0) goto fail;
    Py_ssize_t n_char = f.n;
    if (word_grams(s, word_doc, &f) < 0) goto fail;
    int64_t *rows = malloc((size_t)(f.n ? f.n : 1) * sizeof(int64_t));
    double *values = malloc((size_t)(f.n ? f.n : 1) * sizeof(double));
    if (!rows || !values) {
        free(rows);
        free(values);
        PyErr_NoMemory();
        goto fail;
    }
    /* each part is counted and normalised on its own */
    Found chars = {f.rows, n_char, n_char};
    Py_ssize_t a = weigh(s, &chars, 0, s->char_sublinear, s->char_l2, rows, values);
    Py_ssize_t b = a < 0 ? -1 : weigh(s, &f, n_char, s->word_sublinear, s->word_l2, rows + a, values + a);
    if (b < 0) {
        free(rows);
        free(values);
        goto fail;
    }
    free(f.rows);
    *rows_out = rows;
    *values_out = values;
    return a + b;
fail:
    free(f.rows);
    return -1;
}

/* The two documents of a call, (char_doc, word_doc), both str; 0, or -1 with an exception set. */
static int read_docs(Scorer *s, PyObject *args, PyObject **char_doc, PyObject **word_doc) {
    if (!s->grams || !s->slots) { /* made without __init__ */
        PyErr_SetString(PyExc_RuntimeError, "Scorer not initialised");
        return -1;
    }
    return PyArg_ParseTuple(args, "UU", char_doc, word_doc) ? 0 : -1;
}

static PyObject *Scorer_features(Scorer *s, PyObject *args) {
    PyObject *char_doc, *word_doc;
    if (read_docs(s, args, &char_doc, &word_doc) < 0) return NULL;
    int64_t *rows;
    double *values;
    Py_ssize_t n = features(s, char_doc, word_doc, &rows, &values);
    if (n < 0) return NULL;
    PyObject *r = PyList_New(n), *v = PyList_New(n), *out = NULL;
    if (r && v) {
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *row = PyLong_FromLongLong(rows[i]), *value = PyFloat_FromDouble(values[i]);
            if (!row || !value) {
                Py_XDECREF(row);
                Py_XDECREF(value);
                goto end;
            }
            PyList_SET_ITEM(r, i, row);
            PyList_SET_ITEM(v, i, value);
        }
        out = PyTuple_Pack(2, r, v);
    }
end:
    Py_XDECREF(r);
    Py_XDECREF(v);
    free(rows);
    free(values);
    return out;
}

/* The decision values bias + values @ weights[rows] of one message into `out` (k values). */
static int decide(Scorer *s, PyObject *args, double *out) {
    PyObject *char_doc, *word_doc;
    if (read_docs(s, args, &char_doc, &word_doc) < 0) return -1;
    int64_t *rows;
    double *values;
    Py_ssize_t n = features(s, char_doc, word_doc, &rows, &values);
    if (n < 0) return -1;
    const double *w = (const double *)s->weights.buf, *bias = (const double *)s->bias.buf;
    for (Py_ssize_t c = 0; c < s->k; c++) out[c] = 0.0;
    for (Py_ssize_t i = 0; i < n; i++) {
        const double *wr = w + rows[i] * s->k;
        for (Py_ssize_t c = 0; c < s->k; c++) out[c] += values[i] * wr[c];
    }
    for (Py_ssize_t c = 0; c < s->k; c++) out[c] += bias[c];
    free(rows);
    free(values);
    return 0;
}

static PyObject *float_list(const double *values, Py_ssize_t n) {
    PyObject *result = PyList_New(n);
    if (!result) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *x = PyFloat_FromDouble(values[i]);
        if (!x) {
            Py_DECREF(result);
            return NULL;
        }
        PyList_SET_ITEM(result, i, x);
    }
    return result;
}

static PyObject *Scorer_decision(Scorer *s, PyObject *args) {
    double *out = malloc((size_t)s->k * sizeof(double));
    PyObject *result = NULL;
    if (!out) return PyErr_NoMemory();
    if (decide(s, args, out) == 0) result = float_list(out, s->k);
    free(out);
    return result;
}

/* Class probabilities: CategoryModel._calibrate in model.py, operation for operation. */
static PyObject *Scorer_probabilities(Scorer *s, PyObject *args) {
    if (!s->slopes) {
        PyErr_SetString(PyExc_ValueError, "this Scorer has no calibration");
        return NULL;
    }
    const Py_ssize_t classes = s->k / s->folds;
    double *decision = malloc((size_t)s->k * sizeof(double));
    double *proba = malloc((size_t)classes * sizeof(double));
    double *mean = calloc((size_t)classes, sizeof(double));
    PyObject *result = NULL;
    if (!decision || !proba || !mean) {
        PyErr_NoMemory();
        goto end;
    }
    if (decide(s, args, decision) < 0) goto end;
    for (Py_ssize_t f = 0; f < s->folds; f++) {
        double total = 0.0;
        for (Py_ssize_t c = 0; c < classes; c++) {
            const Py_ssize_t i = f * classes + c;
            const double z = s->slopes[i] * decision[i] + s->offsets[i];
            proba[c] = z > 709.0 ? 0.0 : 1.0 / (1.0 + exp(z)); /* exp(z) overflows past 709 */
            total += proba[c];
        }
        for (Py_ssize_t c = 0; c < classes; c++)
            mean[c] += total != 0.0 ? proba[c] / total : 1.0 / (double)classes;
    }
    if (s->folds > 1)
        for (Py_ssize_t c = 0; c < classes; c++) mean[c] /= (double)s->folds;
    result = float_list(mean, classes);
end:
    free(decision);
    free(proba);
    free(mean);
    return result;
}

/* ---------------------------------------------------------------- construction */

static int get_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, const char *name) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    if (view->itemsize != itemsize) {
        PyErr_Format(PyExc_ValueError, "%s: items of %zd bytes expected, got %zd", name, itemsize, view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static int build_words(Scorer *s, PyObject *terms, PyObject *term_rows) {
    PyObject *t = PySequence_Fast(terms, "terms must be a sequence"), *r = NULL;
    int rc = -1;
    if (!t) return -1;
    r = PySequence_Fast(term_rows, "term rows must be a sequence");
    if (!r) goto end;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(t), total = 0;
    if (PySequence_Fast_GET_SIZE(r) != n) {
        PyErr_SetString(PyExc_ValueError, "terms and rows differ in length");
        goto end;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *term = PySequence_Fast_GET_ITEM(t, i);
        if (!PyUnicode_Check(term)) {
            PyErr_SetString(PyExc_TypeError, "terms must be str");
            goto end;
        }
        total += PyUnicode_GET_LENGTH(term);
    }
    uint64_t size = 16;
    while (size < (uint64_t)n * 2) size <<= 1;
    s->slots = malloc(size * sizeof(WordSlot));
    s->term_chars = malloc((size_t)(total ? total : 1) * sizeof(Py_UCS4));
    if (!s->slots || !s->term_chars) {
        PyErr_NoMemory();
        goto end;
    }
    s->slot_mask = size - 1;
    for (uint64_t i = 0; i < size; i++) s->slots[i].row = -1;
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *term = PySequence_Fast_GET_ITEM(t, i);
        long long row = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(r, i));
        if (row == -1 && PyErr_Occurred()) goto end;
        if (row < 0 || row >= s->rows) {
            PyErr_SetString(PyExc_ValueError, "a term's row is outside the weights");
            goto end;
        }
        Py_ssize_t len = PyUnicode_GET_LENGTH(term);
        if (!PyUnicode_AsUCS4(term, s->term_chars + at, len, 0)) goto end;
        uint64_t h = FNV_OFFSET;
        for (Py_ssize_t j = 0; j < len; j++) h = fnv_char(h, s->term_chars[at + j]);
        uint64_t slot = h & s->slot_mask;
        while (s->slots[slot].row >= 0) slot = (slot + 1) & s->slot_mask;
        s->slots[slot] = (WordSlot){h, row, at, len};
        at += len;
    }
    rc = 0;
end:
    Py_DECREF(t);
    Py_XDECREF(r);
    return rc;
}

/* The char n-grams' table from their keys, in row order (row i of the char part has key i). */
static int build_grams(Scorer *s, PyObject *keys_obj) {
    Py_buffer view;
    if (get_buffer(keys_obj, &view, 8, "char_keys") < 0) return -1;
    const uint64_t *keys = (const uint64_t *)view.buf;
    const Py_ssize_t n = view.len / 8;
    int rc = -1, row_bits = 1, key_bits = (s->bits + 1) * s->char_max_n, bits = 4;
    while (((int64_t)1 << row_bits) < n) row_bits++;
    while (((int64_t)1 << bits) < 3 * n) bits++; /* at most a third full: lookups of unknown n-grams stop early */
    if (key_bits + row_bits > 64 || s->char_offset + n > s->rows) {
        PyErr_SetString(PyExc_ValueError, "the char n-grams do not fit the packed table or the weights");
        goto end;
    }
    s->grams = calloc((size_t)1 << bits, sizeof(uint64_t));
    if (!s->grams) {
        PyErr_NoMemory();
        goto end;
    }
    s->gram_mask = ((uint64_t)1 << bits) - 1;
    s->gram_shift = 64 - (uint64_t)bits;
    s->row_bits = (uint64_t)row_bits;
    s->row_mask = ((uint64_t)1 << row_bits) - 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!keys[i] || (keys[i] >> key_bits)) {
            PyErr_SetString(PyExc_ValueError, "a char n-gram key is out of range");
            goto end;
        }
        uint64_t at = gram_slot(s, keys[i]);
        while (s->grams[at]) at = (at + 1) & s->gram_mask;
        s->grams[at] = (keys[i] << row_bits) | (uint64_t)i;
    }
    rc = 0;
end:
    PyBuffer_Release(&view);
    return rc;
}

/* `n` floats from a sequence of numbers. */
static int read_doubles(PyObject *obj, double *out, Py_ssize_t n, const char *name) {
    PyObject *seq = PySequence_Fast(obj, "a sequence of numbers expected");
    if (!seq) return -1;
    int rc = 0;
    if (PySequence_Fast_GET_SIZE(seq) != n) {
        PyErr_Format(PyExc_ValueError, "%s: %zd numbers expected", name, n);
        rc = -1;
    }
    for (Py_ssize_t i = 0; rc == 0 && i < n; i++) {
        out[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, i));
        if (out[i] == -1.0 && PyErr_Occurred()) rc = -1;
    }
    Py_DECREF(seq);
    return rc;
}

static int Scorer_init(Scorer *s, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"char_table", "char_keys", "bits", "char_ngrams",
                            "char_offset", "char_sublinear", "char_l2", "terms", "term_rows", "word_ngrams",
                            "word_sublinear", "word_l2", "idf", "weights", "bias", "slopes", "offsets", "folds",
                            NULL};
    PyObject *char_table, *char_keys_obj, *terms, *term_rows, *idf, *weights, *bias, *slopes = NULL,
             *offsets = NULL;
    Py_ssize_t folds = 1;
    long long char_offset;
    int bits, cmin, cmax, wmin, wmax, csub, cl2, wsub, wl2;
    if (s->has_buffers) {
        PyErr_SetString(PyExc_RuntimeError, "a Scorer is initialised once");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOi(ii)LppOO(ii)ppOOO|OOn", names, &char_table, &char_keys_obj,
                                     &bits, &cmin, &cmax, &char_offset, &csub, &cl2, &terms, &term_rows, &wmin, &wmax,
                                     &wsub, &wl2, &idf, &weights, &bias, &slopes, &offsets, &folds))
        return -1;
    if (cmin < 1 || cmax < cmin || bits < 1 || bits > 30 || wmin < 1 || wmax < wmin || wmax > MAX_WORD_N) {
        PyErr_SetString(PyExc_ValueError, "unsupported n-gram ranges or packing");
        return -1;
    }
    if (get_buffer(char_table, &s->char_table, 2, "char_table") < 0) return -1;
    if (get_buffer(idf, &s->idf, 8, "idf") < 0) goto no_idf;
    if (get_buffer(weights, &s->weights, 8, "weights") < 0) goto no_weights;
    if (get_buffer(bias, &s->bias, 8, "bias") < 0) goto no_bias;
    s->has_buffers = 1;
    s->rows = s->idf.len / 8;
    s->k = s->bias.len / 8;
    if (s->k < 1 || s->weights.len / 8 != s->rows * s->k || s->char_table.len / 2 <= ' ' || char_offset < 0) {
        PyErr_SetString(PyExc_ValueError, "the tables' sizes do not agree");
        return -1;
    }
    s->bits = bits;
    s->char_min_n = cmin;
    s->char_max_n = cmax;
    s->char_offset = char_offset;
    s->char_sublinear = csub;
    s->char_l2 = cl2;
    s->word_min_n = wmin;
    s->word_max_n = wmax;
    s->word_sublinear = wsub;
    s->word_l2 = wl2;
    if (build_grams(s, char_keys_obj) < 0 || build_words(s, terms, term_rows) < 0) return -1;
    if ((slopes == NULL) != (offsets == NULL)) {
        PyErr_SetString(PyExc_ValueError, "slopes and offsets come together");
        return -1;
    }
    if (slopes) {
        if (folds < 1 || s->k % folds) {
            PyErr_SetString(PyExc_ValueError, "folds must divide the number of decision values");
            return -1;
        }
        s->folds = folds;
        s->slopes = malloc((size_t)s->k * sizeof(double));
        s->offsets = malloc((size_t)s->k * sizeof(double));
        if (!s->slopes || !s->offsets) {
            PyErr_NoMemory();
            return -1;
        }
        if (read_doubles(slopes, s->slopes, s->k, "slopes") < 0 ||
            read_doubles(offsets, s->offsets, s->k, "offsets") < 0)
            return -1;
    }
    return 0;
no_bias:
    PyBuffer_Release(&s->weights);
no_weights:
    PyBuffer_Release(&s->idf);
no_idf:
    PyBuffer_Release(&s->char_table);
    return -1;
}

static void Scorer_dealloc(Scorer *s) {
    if (s->has_buffers) {
        PyBuffer_Release(&s->char_table);
        PyBuffer_Release(&s->idf);
        PyBuffer_Release(&s->weights);
        PyBuffer_Release(&s->bias);
    }
    free(s->grams);
    free(s->slopes);
    free(s->offsets);
    free(s->slots);
    free(s->term_chars);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyMethodDef Scorer_methods[] = {
    {"features", (PyCFunction)Scorer_features, METH_VARARGS,
     "features(char_doc, word_doc) -> (rows, values): the message's feature rows and tf-idf values."},
    {"decision", (PyCFunction)Scorer_decision, METH_VARARGS,
     "decision(char_doc, word_doc) -> list of decision values: bias + values @ weights[rows]."},
    {"probabilities", (PyCFunction)Scorer_probabilities, METH_VARARGS,
     "probabilities(char_doc, word_doc) -> list of class probabilities (sigmoid calibration, mean over folds)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScorerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "nodes._native.Scorer",
    .tp_basicsize = sizeof(Scorer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "classify-lead's TF-IDF features and decision values of one message (see model.py).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scorer_init,
    .tp_dealloc = (destructor)Scorer_dealloc,
    .tp_methods = Scorer_methods,
};

/* ---------------------------------------------------------------- Grams: which 3-grams of a text are indexed */

typedef struct {
    PyObject_HEAD
    uint64_t *keys;   /* three code points packed, 21 bits each */
    int32_t *slots;   /* index into values + 1, 0 = empty */
    uint64_t mask;
    PyObject *values; /* list */
} Grams;

static inline uint64_t pack3(Py_UCS4 a, Py_UCS4 b, Py_UCS4 c) {
    return ((uint64_t)a << 42) | ((uint64_t)b << 21) | (uint64_t)c;
}

static int Grams_init(Grams *g, PyObject *args, PyObject *kwargs) {
    PyObject *mapping;
    static char *names[] = {"index", NULL};
    if (g->values) {
        PyErr_SetString(PyExc_RuntimeError, "a Grams is initialised once");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!", names, &PyDict_Type, &mapping)) return -1;
    const Py_ssize_t n = PyDict_Size(mapping);
    uint64_t size = 16;
    while (size < (uint64_t)n * 4) size <<= 1;
    g->keys = calloc(size, sizeof(uint64_t));
    g->slots = calloc(size, sizeof(int32_t));
    g->values = PyList_New(0);
    if (!g->keys || !g->slots || !g->values) {
        PyErr_NoMemory();
        return -1;
    }
    g->mask = size - 1;
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(mapping, &pos, &key, &value)) {
        if (!PyUnicode_Check(key) || PyUnicode_GET_LENGTH(key) != 3) {
            PyErr_SetString(PyExc_ValueError, "every key must be a str of 3 characters");
            return -1;
        }
        const uint64_t packed = pack3(PyUnicode_READ_CHAR(key, 0), PyUnicode_READ_CHAR(key, 1),
                                      PyUnicode_READ_CHAR(key, 2));
        uint64_t at = (packed * GOLDEN) >> 40 & g->mask;
        while (g->slots[at]) at = (at + 1) & g->mask;
        g->keys[at] = packed;
        g->slots[at] = (int32_t)PyList_GET_SIZE(g->values) + 1;
        if (PyList_Append(g->values, value) < 0) return -1;
    }
    return 0;
}

/* The values of the indexed 3-grams that occur in `text`, each once, in order of first occurrence. */
static PyObject *Grams_find(Grams *g, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "find() takes a str");
        return NULL;
    }
    if (!g->values) {
        PyErr_SetString(PyExc_RuntimeError, "Grams not initialised");
        return NULL;
    }
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    const Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    if (!out || size < 3) return out;
    const Py_ssize_t n_values = PyList_GET_SIZE(g->values);
    unsigned char *seen = calloc((size_t)(n_values ? n_values : 1), 1);
    if (!seen) {
        Py_DECREF(out);
        return PyErr_NoMemory();
    }
    Py_UCS4 a = PyUnicode_READ(kind, data, 0), b = PyUnicode_READ(kind, data, 1);
    for (Py_ssize_t i = 2; i < size; i++) {
        const Py_UCS4 c = PyUnicode_READ(kind, data, i);
        const uint64_t packed = pack3(a, b, c);
        a = b;
        b = c;
        for (uint64_t at = (packed * GOLDEN) >> 40 & g->mask; g->slots[at]; at = (at + 1) & g->mask) {
            if (g->keys[at] != packed) continue;
            const int32_t v = g->slots[at] - 1;
            if (!seen[v]) {
                seen[v] = 1;
                if (PyList_Append(out, PyList_GET_ITEM(g->values, v)) < 0) {
                    free(seen);
                    Py_DECREF(out);
                    return NULL;
                }
            }
            break;
        }
    }
    free(seen);
    return out;
}

static void Grams_dealloc(Grams *g) {
    free(g->keys);
    free(g->slots);
    Py_XDECREF(g->values);
    Py_TYPE(g)->tp_free((PyObject *)g);
}

static PyMethodDef Grams_methods[] = {
    {"find", (PyCFunction)Grams_find, METH_O,
     "find(text) -> the values of the indexed 3-grams in text, each once, in order of first occurrence."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject GramsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "nodes._native.Grams",
    .tp_basicsize = sizeof(Grams),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Grams(index: dict[str, object]): which of the index's 3-character keys occur in a text.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Grams_init,
    .tp_dealloc = (destructor)Grams_dealloc,
    .tp_methods = Grams_methods,
};

/* prepare()'s steps after lower-casing, in one pass: every decimal digit becomes "0" (re's \d),
   a run of three or more of one character but "\n" keeps two (re's (.)\1{2,} -> \1\1), and
   whitespace runs become one space with the ends trimmed (" ".join(text.split())). A run
   of one character is all whitespace or none, so the steps do not interact. */
static PyObject *tidy(PyObject *module, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "tidy() takes a str");
        return NULL;
    }
    const int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    const Py_ssize_t size = PyUnicode_GET_LENGTH(arg);
    Py_UCS4 *out = malloc((size_t)(size ? size : 1) * sizeof(Py_UCS4)), maxchar = 0;
    Py_ssize_t n = 0, run = 0;
    int gap = 0;
    Py_UCS4 last = 0;
    if (!out) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < size; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (Py_UNICODE_ISSPACE(ch)) {
            gap = n > 0;
            run = 0;
            continue;
        }
        if (Py_UNICODE_ISDECIMAL(ch)) ch = '0';
        if (run && ch == last) {
            if (++run > 2) continue;
        } else {
            run = 1;
            last = ch;
        }
        if (gap) {
            out[n++] = ' ';
            gap = 0;
        }
        out[n++] = ch;
        if (ch > maxchar) maxchar = ch;
    }
    if (n && maxchar < ' ') maxchar = ' ';
    PyObject *result = PyUnicode_New(n, maxchar);
    if (result) {
        const int out_kind = PyUnicode_KIND(result);
        void *out_data = PyUnicode_DATA(result);
        for (Py_ssize_t i = 0; i < n; i++) PyUnicode_WRITE(out_kind, out_data, i, out[i]);
    }
    free(out);
    return result;
}

/* How many characters of `text` fall in each group of code point ranges: count_in(text, ((lo, hi), ...), ...). */
static PyObject *count_in(PyObject *module, PyObject *args) {
    PyObject *text, *groups;
    if (!PyArg_ParseTuple(args, "UO!", &text, &PyTuple_Type, &groups)) return NULL;
    const Py_ssize_t n_groups = PyTuple_GET_SIZE(groups);
    Py_ssize_t n_ranges = 0;
    for (Py_ssize_t g = 0; g < n_groups; g++) {
        PyObject *ranges = PyTuple_GET_ITEM(groups, g);
        if (!PyTuple_Check(ranges)) {
            PyErr_SetString(PyExc_TypeError, "each group is a tuple of (low, high) code points");
            return NULL;
        }
        n_ranges += PyTuple_GET_SIZE(ranges);
    }
    Py_UCS4 *lo = malloc((size_t)(n_ranges + 1) * sizeof(Py_UCS4));
    Py_UCS4 *hi = malloc((size_t)(n_ranges + 1) * sizeof(Py_UCS4));
    Py_ssize_t *group_of = malloc((size_t)(n_ranges + 1) * sizeof(Py_ssize_t));
    Py_ssize_t *counts = calloc((size_t)(n_groups + 1), sizeof(Py_ssize_t));
    PyObject *result = NULL;
    if (!lo || !hi || !group_of || !counts) {
        PyErr_NoMemory();
        goto end;
    }
    Py_ssize_t r = 0;
    for (Py_ssize_t g = 0; g < n_groups; g++) {
        PyObject *ranges = PyTuple_GET_ITEM(groups, g);
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(ranges); i++, r++) {
            unsigned int a, b;
            PyObject *range = PyTuple_GET_ITEM(ranges, i);
            if (!PyTuple_Check(range)) {
                PyErr_SetString(PyExc_TypeError, "each range is a tuple (low, high)");
                goto end;
            }
            if (!PyArg_ParseTuple(range, "II", &a, &b)) goto end;
            lo[r] = a;
            hi[r] = b;
            group_of[r] = g;
        }
    }
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    const Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    for (Py_ssize_t i = 0; i < size; i++) {
        const Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        for (Py_ssize_t k = 0; k < n_ranges; k++)
            if (ch >= lo[k] && ch <= hi[k]) {
                counts[group_of[k]]++;
                break;
            }
    }
    result = PyTuple_New(n_groups);
    for (Py_ssize_t g = 0; result && g < n_groups; g++) {
        PyObject *x = PyLong_FromSsize_t(counts[g]);
        if (!x) {
            Py_CLEAR(result);
            break;
        }
        PyTuple_SET_ITEM(result, g, x);
    }
end:
    free(lo);
    free(hi);
    free(group_of);
    free(counts);
    return result;
}

static PyMethodDef module_methods[] = {
    {"count_in", count_in, METH_VARARGS,
     "count_in(text, groups) -> per group of (low, high) code point ranges, how many characters fall in it."},
    {"tidy", tidy, METH_O,
     "tidy(text) -> text with digits as 0, character floods cut to two and whitespace collapsed."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_native", "The hot loops of classify-lead in C (see nodes/native.py).", -1, module_methods,
};

PyMODINIT_FUNC PyInit__native(void) {
    if (PyType_Ready(&ScorerType) < 0 || PyType_Ready(&GramsType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    if (PyModule_AddObjectRef(m, "Scorer", (PyObject *)&ScorerType) < 0 ||
        PyModule_AddObjectRef(m, "Grams", (PyObject *)&GramsType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
