# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The compiled row builders of ``raw.cases`` (documents), ``raw.metadata`` (documents-metadata) and
``raw.audit`` (documents-audit): one JSON Lines record → its COPY row text, in C.

Built by ``scripts/build/compiled.py`` (``make venv`` for this interpreter, ``make package`` for the
Lambda's python3.12 on aarch64); selected by :func:`itc_common_utilities.loader.fastrow.compiled_or`, which
falls back to the Python fast path (:mod:`.fast`) when this module cannot be imported. ADR 0012.

:class:`Rows` parses the line once into a table of nodes (spans into the line, no Python objects) and
holds what the tables share (identifiers, times, nested JSON text, DynamoDB wrappers, the output buffer);
:class:`CaseRows`, :class:`MetadataRows` and :class:`AuditRows` read their table's fields in either form
the Python fast path takes (plain JSON with nested objects as objects or as JSON text, and whole-record
DynamoDB typing) and write the columns of :func:`~.case_builder.build_case`,
:func:`~.metadata_builder.build_metadata` (the status history as the JSON ``orjson`` writes, with its
received and archived milestones) and :func:`~.audit_builder.build_audit` straight into a C buffer. Each
accepts a strict subset of what the Python fast path accepts, with the same row text; for anything else
its ``row`` gives None and the call goes on to ``fallback`` (the Python fast path, then the builder): a
non-ASCII byte, a ``\\u`` escape outside ASCII or a NUL, a float, an integer over 18 digits, a duplicate
key, a time outside the window or given as text other than zoned ISO 8601 in its common shape, a person
or list given as JSON text, a status-history entry the builder might drop or note, any value whose type
or length the Python fast path would refuse or hand to the builder. So every reject and every quarantined
field still comes from the builder.
"""

from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcmp, memcpy, strlen

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.unicode cimport PyUnicode_DecodeASCII

cdef extern from "string.h":
    void* memmem(const void* haystack, size_t haystacklen, const void* needle, size_t needlelen) nogil

cdef enum:
    K_OBJ = 1
    K_ARR = 2
    K_STR = 3
    K_INT = 4
    K_NULL = 5
    K_BOOL = 6
    MAX_NODES = 4096
    MAX_DEPTH = 24
    MAX_TEXT = 100000      # values.MAX_TEXT_CHARS
    MAX_ID = 1024          # values.MAX_ID_CHARS
    NONE = -1              # a field absent (or JSON null, where the reader says so)
    BAIL = -2              # not this path's record: the fallback reads it

cdef int64_t T_NONE = -1   # a time: absent, null or empty text
cdef int64_t T_BAIL = -2   # a time this path does not read

cdef int64_t INT32_LO = -2147483648
cdef int64_t INT32_HI = 2147483647


cdef struct Node:
    int kind
    const char* base       # the buffer the spans point into (the line, or a decoded JSON text)
    Py_ssize_t s, e        # K_STR: the raw content between the quotes
    int esc                # K_STR: holds an escape
    int64_t ival           # K_INT, K_BOOL
    int child              # K_OBJ/K_ARR: first member, -1 if none
    int next               # next member of the parent, -1 at the end
    Py_ssize_t ks, ke      # object member: its key's span in ``base``


cdef struct Parser:
    const char* b
    Py_ssize_t i, n
    Node* nodes
    int count


cdef struct Buf:
    char* p
    Py_ssize_t n, cap


cdef inline bint is_ws(char c) noexcept nogil:
    return c == c' ' or c == c'\t' or c == c'\n' or c == c'\r'


cdef inline void skip_ws(Parser* p) noexcept nogil:
    while p.i < p.n and is_ws(p.b[p.i]):
        p.i += 1


cdef int new_node(Parser* p, int kind) noexcept nogil:
    if p.count >= MAX_NODES:
        return BAIL
    cdef Node* nd = &p.nodes[p.count]
    nd.kind = kind
    nd.base = p.b
    nd.s = nd.e = 0
    nd.esc = 0
    nd.ival = 0
    nd.child = -1
    nd.next = -1
    nd.ks = nd.ke = 0
    p.count += 1
    return p.count - 1


cdef inline int hexval(char c) noexcept nogil:
    if c'0' <= c <= c'9':
        return c - c'0'
    if c'a' <= c <= c'f':
        return c - c'a' + 10
    if c'A' <= c <= c'F':
        return c - c'A' + 10
    return -1


cdef int unicode_escape(const char* s, Py_ssize_t avail) noexcept nogil:
    """``\\uXXXX`` at ``s``: the ASCII byte it names (1..127), or BAIL (non-ASCII, a NUL, malformed)."""
    cdef int k, h, v = 0
    if avail < 6:
        return BAIL
    for k in range(2, 6):
        h = hexval(s[k])
        if h < 0:
            return BAIL
        v = v * 16 + h
    return v if 0 < v < 0x80 else BAIL


cdef inline int simple_escape(unsigned char c) noexcept nogil:
    """The byte a two-character escape stands for, or BAIL."""
    if c == c'"' or c == c'/' or c == c'\\':
        return c
    if c == c'n':
        return 10
    if c == c't':
        return 9
    if c == c'r':
        return 13
    if c == c'b':
        return 8
    if c == c'f':
        return 12
    return BAIL


cdef int scan_string(Parser* p, Py_ssize_t* s, Py_ssize_t* e, int* esc) noexcept nogil:
    """At an opening quote: the content span; 0, or BAIL for an escape, byte or end we do not take."""
    cdef unsigned char c
    p.i += 1
    s[0] = p.i
    esc[0] = 0
    while p.i < p.n:
        c = <unsigned char>p.b[p.i]
        if c == c'"':
            e[0] = p.i
            p.i += 1
            return 0
        if c == c'\\':
            if p.i + 1 >= p.n:
                return BAIL
            c = <unsigned char>p.b[p.i + 1]
            if c == c'u':
                if unicode_escape(p.b + p.i, p.n - p.i) < 0:
                    return BAIL  # non-ASCII or a NUL: the Python path (a NUL is the builder's)
                esc[0] = 1
                p.i += 6
                continue
            if simple_escape(c) < 0:
                return BAIL
            esc[0] = 1
            p.i += 2
            continue
        if c < 0x20 or c >= 0x80:
            return BAIL  # a control byte (invalid JSON) or non-ASCII text: the Python path decides
        p.i += 1
    return BAIL


cdef int parse_value(Parser* p, int depth) noexcept nogil:
    """One JSON value at ``p.i``: its node index, or BAIL."""
    cdef int idx, member, last, r
    cdef Py_ssize_t ks, ke, digits
    cdef int esc
    cdef int64_t v
    cdef bint neg
    cdef char c, close
    if depth > MAX_DEPTH or p.i >= p.n:
        return BAIL
    c = p.b[p.i]
    if c == c'{' or c == c'[':
        close = c + 2  # '}' follows '{' by two, ']' follows '[' by two
        idx = new_node(p, K_OBJ if c == c'{' else K_ARR)
        if idx < 0:
            return BAIL
        p.i += 1
        skip_ws(p)
        if p.i < p.n and p.b[p.i] == close:
            p.i += 1
            return idx
        last = -1
        while True:
            skip_ws(p)
            if c == c'{':
                if p.i >= p.n or p.b[p.i] != c'"':
                    return BAIL
                if scan_string(p, &ks, &ke, &esc) < 0 or esc:
                    return BAIL  # an escaped key
                skip_ws(p)
                if p.i >= p.n or p.b[p.i] != c':':
                    return BAIL
                p.i += 1
                skip_ws(p)
            member = parse_value(p, depth + 1)
            if member < 0:
                return BAIL
            if c == c'{':
                p.nodes[member].ks = ks
                p.nodes[member].ke = ke
            if last < 0:
                p.nodes[idx].child = member
            else:
                p.nodes[last].next = member
            last = member
            skip_ws(p)
            if p.i >= p.n:
                return BAIL
            if p.b[p.i] == c',':
                p.i += 1
                continue
            if p.b[p.i] == close:
                p.i += 1
                return idx
            return BAIL
    if c == c'"':
        idx = new_node(p, K_STR)
        if idx < 0:
            return BAIL
        r = scan_string(p, &p.nodes[idx].s, &p.nodes[idx].e, &p.nodes[idx].esc)
        return BAIL if r < 0 else idx
    if c == c'-' or (c'0' <= c <= c'9'):
        neg = c == c'-'
        if neg:
            p.i += 1
        v = 0
        digits = 0
        while p.i < p.n and c'0' <= p.b[p.i] <= c'9':
            v = v * 10 + (p.b[p.i] - c'0')
            digits += 1
            p.i += 1
            if digits > 18:
                return BAIL  # beyond what an int64 surely holds: the Python path
        if digits == 0 or (digits > 1 and p.b[p.i - digits] == c'0'):
            return BAIL  # "-" alone, or a leading zero (not JSON)
        if p.i < p.n and (p.b[p.i] == c'.' or p.b[p.i] == c'e' or p.b[p.i] == c'E'):
            return BAIL  # a float
        idx = new_node(p, K_INT)
        if idx < 0:
            return BAIL
        p.nodes[idx].ival = -v if neg else v
        return idx
    if p.n - p.i >= 4 and memcmp(p.b + p.i, b"null", 4) == 0:
        p.i += 4
        return new_node(p, K_NULL)
    if p.n - p.i >= 4 and memcmp(p.b + p.i, b"true", 4) == 0:
        p.i += 4
        idx = new_node(p, K_BOOL)
        if idx >= 0:
            p.nodes[idx].ival = 1
        return idx
    if p.n - p.i >= 5 and memcmp(p.b + p.i, b"false", 5) == 0:
        p.i += 5
        return new_node(p, K_BOOL)
    return BAIL


cdef int parse_document(Parser* p, const char* b, Py_ssize_t n) noexcept nogil:
    """A whole JSON text that must be one object: its node, or BAIL."""
    cdef int idx
    p.b = b
    p.i = 0
    p.n = n
    skip_ws(p)
    idx = parse_value(p, 0)
    if idx < 0 or p.nodes[idx].kind != K_OBJ:
        return BAIL
    skip_ws(p)
    return idx if p.i == p.n else BAIL


cdef int fields(Node* nodes, int obj, const char** names, int count, int* out) noexcept nogil:
    """The members of object ``obj`` named ``names`` into ``out`` (NONE when absent; JSON null is a
    K_NULL node); 0, or BAIL for a repeated name."""
    cdef int k, m = nodes[obj].child
    cdef Py_ssize_t klen
    cdef Node* nd
    for k in range(count):
        out[k] = NONE
    while m >= 0:
        nd = &nodes[m]
        klen = nd.ke - nd.ks
        for k in range(count):
            if <Py_ssize_t>strlen(names[k]) == klen and memcmp(nd.base + nd.ks, names[k], klen) == 0:
                if out[k] != NONE:
                    return BAIL  # a repeated key: the Python path
                out[k] = m
                break
        m = nd.next
    return 0


cdef int only(Node* nodes, int obj, const char* name, int* out) noexcept nogil:
    """A DynamoDB wrapper (``{"M": ...}``, unknown members forbidden): the one member ``name``; NONE if
    the object is empty; BAIL for any other member."""
    cdef int m = nodes[obj].child
    cdef Py_ssize_t klen
    out[0] = NONE
    while m >= 0:
        klen = nodes[m].ke - nodes[m].ks
        if <Py_ssize_t>strlen(name) != klen or memcmp(nodes[m].base + nodes[m].ks, name, klen) != 0 or out[0] != NONE:
            return BAIL
        out[0] = m
        m = nodes[m].next
    return 0


cdef inline int nullish(Node* nodes, int idx) noexcept nogil:
    return idx == NONE or nodes[idx].kind == K_NULL


cdef Py_ssize_t str_chars(Node* nd) noexcept nogil:
    """The decoded length of a K_STR (ASCII only: bytes = characters)."""
    cdef Py_ssize_t i, n = nd.e - nd.s
    if not nd.esc:
        return n
    i = nd.s
    while i < nd.e:
        if nd.base[i] == c'\\':
            if nd.base[i + 1] == c'u':
                n -= 5
                i += 6
            else:
                n -= 1
                i += 2
        else:
            i += 1
    return n


cdef Py_ssize_t decode(Node* nd, char* out) noexcept nogil:
    """The decoded text of a K_STR written at ``out``; its length."""
    cdef Py_ssize_t i = nd.s, k = 0
    if not nd.esc:
        memcpy(out, nd.base + nd.s, nd.e - nd.s)
        return nd.e - nd.s
    while i < nd.e:
        if nd.base[i] == c'\\':
            if nd.base[i + 1] == c'u':
                out[k] = <char>unicode_escape(nd.base + i, 6)
                i += 6
            else:
                out[k] = <char>simple_escape(<unsigned char>nd.base[i + 1])
                i += 2
        else:
            out[k] = nd.base[i]
            i += 1
        k += 1
    return k


cdef inline int put(Buf* o, const char* s, Py_ssize_t n) noexcept nogil:
    memcpy(o.p + o.n, s, n)
    o.n += n
    return 0


cdef inline char copy_escape(char c) noexcept nogil:
    """The letter after the backslash COPY text writes for ``c`` (``encode_copy_value``), or 0."""
    if c == c'\\':
        return c'\\'
    if c == c'\t':
        return c't'
    if c == c'\n':
        return c'n'
    if c == c'\r':
        return c'r'
    return 0


cdef void put_copy(Buf* o, const char* s, Py_ssize_t n) noexcept nogil:
    """Text as a COPY value: a backslash, tab, line feed or carriage return escaped, as the encoder does."""
    cdef Py_ssize_t i
    cdef char e
    for i in range(n):
        e = copy_escape(s[i])
        if e:
            o.p[o.n] = c'\\'
            o.p[o.n + 1] = e
            o.n += 2
        else:
            o.p[o.n] = s[i]
            o.n += 1


cdef inline void put_null(Buf* o) noexcept nogil:
    o.p[o.n] = c'\\'
    o.p[o.n + 1] = c'N'
    o.n += 2


cdef void put_int(Buf* o, int64_t v) noexcept nogil:
    cdef char tmp[24]
    cdef int k = 0
    cdef bint neg = v < 0
    cdef unsigned long long u = <unsigned long long>(-v) if neg else <unsigned long long>v
    while True:
        tmp[k] = <char>(c'0' + u % 10)
        k += 1
        u //= 10
        if u == 0:
            break
    if neg:
        o.p[o.n] = c'-'
        o.n += 1
    while k > 0:
        k -= 1
        o.p[o.n] = tmp[k]
        o.n += 1


cdef inline void put2(Buf* o, int v) noexcept nogil:
    o.p[o.n] = <char>(c'0' + v // 10)
    o.p[o.n + 1] = <char>(c'0' + v % 10)
    o.n += 2


cdef int put_text(Buf* o, Node* nodes, int idx, Py_ssize_t limit) noexcept nogil:
    """A text field (str | None, within ``limit`` characters); 0 or BAIL."""
    cdef Node* nd
    if nullish(nodes, idx):
        put_null(o)
        return 0
    nd = &nodes[idx]
    if nd.kind != K_STR or str_chars(nd) > limit:
        return BAIL
    if nd.esc:
        o.n += decode(nd, o.p + o.n)
        return escape_tail(o, str_chars(nd))
    put(o, nd.base + nd.s, nd.e - nd.s)
    return 0


cdef int escape_tail(Buf* o, Py_ssize_t n) noexcept nogil:
    """COPY-escape the last ``n`` bytes written (a decoded value, which may hold a special byte)."""
    cdef Py_ssize_t i, extra = 0, j
    cdef char* start = o.p + o.n - n
    cdef char e
    for i in range(n):
        if copy_escape(start[i]):
            extra += 1
    if extra == 0:
        return 0
    j = n + extra
    i = n
    while i > 0:
        i -= 1
        e = copy_escape(start[i])
        if e:
            j -= 2
            start[j] = c'\\'
            start[j + 1] = e
        else:
            j -= 1
            start[j] = start[i]
    o.n += extra
    return 0


cdef inline bint is_space(char c) noexcept nogil:
    """``str.isspace`` of an ASCII character (what ``str.strip`` removes; non-ASCII never gets this far)."""
    return c == c' ' or (9 <= c <= 13) or (28 <= c <= 31)


cdef Py_ssize_t stripped(char* s, Py_ssize_t n, char** out) noexcept nogil:
    cdef Py_ssize_t a = 0, z = n
    while a < z and is_space(s[a]):
        a += 1
    while z > a and is_space(s[z - 1]):
        z -= 1
    out[0] = s + a
    return z - a


cdef int write_us(Buf* o, int64_t us) noexcept nogil:
    """``datetime.isoformat`` of a UTC time given as microseconds since the epoch (0 or more): the fraction
    as six digits when there is one, then ``+00:00``; BAIL outside the years 1000..9999."""
    cdef int64_t secs = us // 1000000, frac = us % 1000000, days, rem, z, era, doe, yoe, y, doy, mp, d, m
    cdef int k
    days = secs // 86400
    rem = secs % 86400
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    if m <= 2:
        y += 1
    if y < 1000 or y > 9999:
        return BAIL
    put2(o, <int>(y // 100))
    put2(o, <int>(y % 100))
    put(o, b"-", 1)
    put2(o, <int>m)
    put(o, b"-", 1)
    put2(o, <int>d)
    put(o, b"T", 1)
    put2(o, <int>(rem // 3600))
    put(o, b":", 1)
    put2(o, <int>(rem // 60 % 60))
    put(o, b":", 1)
    put2(o, <int>(rem % 60))
    if frac:
        put(o, b".", 1)
        for k in range(5, -1, -1):
            o.p[o.n + k] = <char>(c'0' + frac % 10)
            frac //= 10
        o.n += 6
    put(o, b"+00:00", 6)
    return 0


cdef class Rows:
    """The machinery every compiled row builder shares: the node table, the output and scratch buffers, the
    time and identifier writers and the readers of nested JSON text and DynamoDB wrappers. ``rows(line)``:
    the COPY text of the record in ``line`` (bytes), as the table's Python fast path gives it; a line this
    path does not take goes to ``fallback(line)``. ``row(line)``: the compiled path alone (None where it
    gives up). ``compiled`` / ``handed_on``: how many lines each way, for the bench. A table's subclass
    implements ``build``."""

    cdef object fallback
    cdef int64_t lo_s, hi_s, lo_ms, hi_ms
    cdef Node* nodes
    cdef Buf out
    cdef char* arena
    cdef Py_ssize_t arena_cap, arena_n
    cdef public Py_ssize_t compiled, handed_on

    def __cinit__(self, fallback, int64_t lo_s, int64_t hi_s, int64_t lo_ms, int64_t hi_ms):
        self.fallback = fallback
        self.lo_s, self.hi_s, self.lo_ms, self.hi_ms = lo_s, hi_s, lo_ms, hi_ms
        self.nodes = <Node*>malloc(MAX_NODES * sizeof(Node))
        self.out.p = NULL
        self.out.cap = 0
        self.arena = NULL
        self.arena_cap = 0
        if self.nodes == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.nodes)
        free(self.out.p)
        free(self.arena)

    cdef int reserve(self, Py_ssize_t n) except -1:
        cdef Py_ssize_t need = 8 * n + 4096  # a history written as JSON may grow past 4 × its line
        if need > self.out.cap:
            free(self.out.p)
            free(self.arena)
            self.out.p = <char*>malloc(need)
            self.arena = <char*>malloc(need)
            if self.out.p == NULL or self.arena == NULL:
                self.out.cap = self.arena_cap = 0
                raise MemoryError()
            self.out.cap = self.arena_cap = need
        self.out.n = 0
        self.arena_n = 0
        return 0

    def __call__(self, line):
        text = self.row(line)
        if text is None:
            self.handed_on += 1
            return self.fallback(line)
        self.compiled += 1
        return text

    def row(self, line):
        """The compiled path alone: the row text, or None where the fallback must read the line."""
        cdef Py_ssize_t n
        if type(line) is not bytes:
            return None
        n = PyBytes_GET_SIZE(line)
        self.reserve(n)
        if self.build(PyBytes_AS_STRING(line), n) < 0:
            return None
        return PyUnicode_DecodeASCII(self.out.p, self.out.n, NULL)

    cdef int build(self, const char* b, Py_ssize_t n) noexcept:
        """The row of the record in ``b[:n]`` written to ``self.out``; 0, or BAIL (the table's subclass)."""
        return BAIL

    cdef int put_time(self, int64_t v) noexcept:
        return self.time_to(&self.out, v)

    cdef int time_to(self, Buf* o, int64_t v) noexcept:
        """``time_reader``'s text for an epoch int in the window (seconds, else milliseconds) written to ``o``;
        BAIL outside."""
        cdef int64_t us = self.epoch_us(v)
        if us < 0:
            return BAIL  # the builder's reader decides (and names the field)
        return write_us(o, us)

    cdef int64_t epoch_us(self, int64_t v) noexcept:
        """An epoch int in the window (seconds, else milliseconds) as microseconds; T_BAIL outside."""
        if self.lo_s <= v <= self.hi_s:
            return v * 1000000 if v >= 0 else T_BAIL
        if self.lo_ms <= v <= self.hi_ms:
            return v * 1000 if v >= 0 else T_BAIL
        return T_BAIL

    cdef int64_t iso_us(self, Node* nd) noexcept:
        """Zoned ISO 8601 text in its common shape (``YYYY-MM-DDTHH:MM:SS``, optionally ``.fff`` or
        ``.ffffff``, then ``Z`` or ``±HH:MM``), inside the window, as UTC microseconds; T_NONE for empty text;
        T_BAIL for any other text (an escape, spaces, another shape, a time the window may refuse)."""
        cdef const char* t = nd.base + nd.s
        cdef Py_ssize_t n = nd.e - nd.s, k, digits = 0, z = 19
        cdef int64_t y, mo, d, hh, mi, ss, frac = 0, off = 0, hh_off, mi_off, days, era, yoe, doy, secs
        cdef int dim
        if nd.esc:
            return T_BAIL
        if n == 0:
            return T_NONE
        if n < 20 or t[4] != c'-' or t[7] != c'-' or t[10] != c'T' or t[13] != c':' or t[16] != c':':
            return T_BAIL
        for k in (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18):
            if not c'0' <= t[k] <= c'9':
                return T_BAIL
        y = (t[0] - c'0') * 1000 + (t[1] - c'0') * 100 + (t[2] - c'0') * 10 + (t[3] - c'0')
        mo = (t[5] - c'0') * 10 + (t[6] - c'0')
        d = (t[8] - c'0') * 10 + (t[9] - c'0')
        hh = (t[11] - c'0') * 10 + (t[12] - c'0')
        mi = (t[14] - c'0') * 10 + (t[15] - c'0')
        ss = (t[17] - c'0') * 10 + (t[18] - c'0')
        if t[z] == c'.':
            z += 1
            while z < n and c'0' <= t[z] <= c'9':
                frac = frac * 10 + (t[z] - c'0')
                digits += 1
                z += 1
            if digits == 3:
                frac *= 1000
            elif digits != 6:
                return T_BAIL
        if z == n - 1 and t[z] == c'Z':
            off = 0
        elif z == n - 6 and (t[z] == c'+' or t[z] == c'-') and t[z + 3] == c':':
            for k in (1, 2, 4, 5):
                if not c'0' <= t[z + k] <= c'9':
                    return T_BAIL
            hh_off = (t[z + 1] - c'0') * 10 + (t[z + 2] - c'0')
            mi_off = (t[z + 4] - c'0') * 10 + (t[z + 5] - c'0')
            if hh_off > 23 or mi_off > 59:
                return T_BAIL
            off = hh_off * 3600 + mi_off * 60
            if t[z] == c'-':
                off = -off
        else:
            return T_BAIL
        if y < 1000 or mo < 1 or mo > 12 or hh > 23 or mi > 59 or ss > 59:
            return T_BAIL
        dim = 31
        if mo == 4 or mo == 6 or mo == 9 or mo == 11:
            dim = 30
        elif mo == 2:
            dim = 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28
        if d < 1 or d > dim:
            return T_BAIL
        if mo <= 2:
            y -= 1
        era = y // 400
        yoe = y - era * 400
        doy = (153 * (mo - 3 if mo > 2 else mo + 9) + 2) // 5 + d - 1
        days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
        secs = days * 86400 + hh * 3600 + mi * 60 + ss - off
        if not self.lo_s <= secs <= self.hi_s or secs < 0 or (secs == self.hi_s and frac):
            return T_BAIL  # near or outside the window: the builder's reader decides
        return secs * 1000000 + frac

    cdef int64_t node_us(self, int idx, bint typed_form) noexcept:
        """A source time (plain: an int or text; typed: ``{"N": ...}`` or ``{"S": ...}``) as UTC microseconds;
        T_NONE for null, absent or empty text; T_BAIL for anything the Python path or the builder must read."""
        cdef int64_t v
        cdef int t, r
        if typed_form:
            r = self.scalar(idx, &v, &t)
            if r == 0:
                return T_NONE
            if r == 1:
                return self.epoch_us(v)
            if r == 2:
                return self.iso_us(&self.nodes[t])
            return T_BAIL
        if nullish(self.nodes, idx):
            return T_NONE
        if self.nodes[idx].kind == K_INT:
            return self.epoch_us(self.nodes[idx].ival)
        if self.nodes[idx].kind == K_STR:
            return self.iso_us(&self.nodes[idx])
        return T_BAIL  # a float, a flag, an object: the Python path

    cdef int put_time_node(self, int idx, bint typed_form) noexcept:
        """The ISO text ``time_reader`` writes for a source time, or NULL; BAIL."""
        cdef int64_t us = self.node_us(idx, typed_form)
        if us == T_BAIL:
            return BAIL
        if us == T_NONE:
            put_null(&self.out)
            return 0
        return write_us(&self.out, us)

    cdef int put_ident(self, int idx, bint key) noexcept:
        """A plain identifier (text ≤ 1024 or int64): empty text and null are NULL, or BAIL for a key."""
        cdef Node* nd
        if nullish(self.nodes, idx):
            if key:
                return BAIL
            put_null(&self.out)
            return 0
        nd = &self.nodes[idx]
        if nd.kind == K_INT:
            put_int(&self.out, nd.ival)
            return 0
        if nd.kind != K_STR:
            return BAIL
        if nd.e == nd.s:
            if key:
                return BAIL  # missing_key: the builder rejects it
            put_null(&self.out)
            return 0
        return put_text(&self.out, self.nodes, idx, MAX_ID)

    cdef int nested(self, Parser* p, int idx) noexcept:
        """A nested object given as JSON text: its parsed object node, NONE for blank text, or BAIL."""
        cdef Node* nd = &self.nodes[idx]
        cdef char* text = self.arena + self.arena_n
        cdef Py_ssize_t n = decode(nd, text), a = 0
        cdef int obj
        self.arena_n += n
        while a < n and is_ws(text[a]):
            a += 1
        if a == n:
            return NONE
        obj = parse_document(p, text, n)
        return obj

    cdef int plain_object(self, Parser* p, int idx, const char** names, int count, int* out) noexcept:
        """A plain nested object (``_object``): its fields into ``out`` (all NONE when absent, null or blank
        JSON text); BAIL for another type, or an object with none of its fields (maybe a wrapper)."""
        cdef int k, obj
        if nullish(self.nodes, idx):
            for k in range(count):
                out[k] = NONE
            return 0
        if self.nodes[idx].kind == K_STR:
            obj = self.nested(p, idx)
            if obj == NONE:
                for k in range(count):
                    out[k] = NONE
                return 0
            if obj < 0:
                return BAIL
            idx = obj
        if self.nodes[idx].kind != K_OBJ or fields(self.nodes, idx, names, count, out) < 0:
            return BAIL
        for k in range(count):
            if not nullish(self.nodes, out[k]):
                return 0
        return BAIL

    cdef int scalar(self, int idx, int64_t* ival, int* text) noexcept:
        """``_scalar`` of an ``{"S": ...}`` / ``{"N": ...}`` wrapper: 0 = None, 1 = integer in ``ival``,
        2 = text (node in ``text``); BAIL for anything else (a fraction, two types, {}, another member)."""
        cdef int m
        cdef int sn[2]
        cdef const char* names[2]
        cdef Node* nd
        cdef Py_ssize_t i, digits = 0
        cdef int64_t v = 0
        cdef bint neg = False
        names[0] = b"S"
        names[1] = b"N"
        if nullish(self.nodes, idx):
            return 0
        if self.nodes[idx].kind != K_OBJ or fields(self.nodes, idx, names, 2, sn) < 0:
            return BAIL
        m = self.nodes[idx].child
        while m >= 0:  # forbid_unknown_fields
            if not (self.nodes[m].ke - self.nodes[m].ks == 1
                    and (self.nodes[m].base[self.nodes[m].ks] == c'S' or self.nodes[m].base[self.nodes[m].ks] == c'N')):
                return BAIL
            m = self.nodes[m].next
        if nullish(self.nodes, sn[1]):
            if nullish(self.nodes, sn[0]):
                return BAIL  # {}: not a wrapper
            nd = &self.nodes[sn[0]]
            if nd.kind != K_STR or str_chars(nd) > MAX_ID:
                return BAIL
            text[0] = sn[0]
            return 2
        if not nullish(self.nodes, sn[0]):
            return BAIL  # two types
        nd = &self.nodes[sn[1]]
        if nd.kind != K_STR or nd.esc:
            return BAIL
        i = nd.s
        if i < nd.e and (nd.base[i] == c'-' or nd.base[i] == c'+'):
            neg = nd.base[i] == c'-'
            i += 1
        while i < nd.e:
            if not (c'0' <= nd.base[i] <= c'9') or digits == 18:
                return BAIL  # a fraction, an exponent, or over 18 digits: the Python path
            v = v * 10 + (nd.base[i] - c'0')
            digits += 1
            i += 1
        if digits == 0:
            return BAIL
        ival[0] = -v if neg else v
        return 1

    cdef int put_typed_ident(self, int idx, bint key) noexcept:
        cdef int64_t v
        cdef int t, r = self.scalar(idx, &v, &t)
        if r < 0:
            return BAIL
        if r == 1:
            put_int(&self.out, v)
            return 0
        if r == 0 or self.nodes[t].e == self.nodes[t].s:
            if key:
                return BAIL
            put_null(&self.out)
            return 0
        return put_text(&self.out, self.nodes, t, MAX_ID)

    cdef int put_wrapped(self, int idx, const char* kind, Py_ssize_t limit) noexcept:
        """``_s`` of an ``{"S": text}`` wrapper (text required, ``limit`` characters); null → NULL."""
        cdef int w
        if nullish(self.nodes, idx):
            put_null(&self.out)
            return 0
        if self.nodes[idx].kind != K_OBJ or only(self.nodes, idx, kind, &w) < 0 or w == NONE:
            return BAIL
        if self.nodes[w].kind != K_STR:
            return BAIL
        return put_text(&self.out, self.nodes, w, limit)

    cdef int typed_object(self, int idx, const char** names, int count, int* out) noexcept:
        """An ``{"M": {...}}`` wrapper's fields (all NONE when null)."""
        cdef int k, w
        if nullish(self.nodes, idx):
            for k in range(count):
                out[k] = NONE
            return 0
        if self.nodes[idx].kind != K_OBJ or only(self.nodes, idx, b"M", &w) < 0 or nullish(self.nodes, w):
            return BAIL
        if self.nodes[w].kind != K_OBJ:
            return BAIL
        return fields(self.nodes, w, names, count, out)


cdef class CaseRows(Rows):
    """``rows(line)``: the COPY text of the documents record in ``line`` (bytes), as
    ``case_fast(window)`` gives it; a line this path does not take goes to ``fallback(line)``."""

    cdef int build(self, const char* b, Py_ssize_t n) noexcept:
        cdef Parser p
        cdef int top, k
        cdef int f[8]
        cdef const char* names[8]
        names[:] = [b"documentId", b"version", b"customerId", b"createdTs", b"sendingFirm", b"claimInfo",
                    b"recipientCarrier", b"caseManagementMetadata"]
        p.nodes = self.nodes
        p.count = 0
        if memmem(b, n, b"\\u0000", 6) != NULL:
            return BAIL  # as the Python path: a NUL, the builder names the field
        top = parse_document(&p, b, n)
        if top < 0 or fields(self.nodes, top, names, 8, f) < 0:
            return BAIL
        if f[0] == NONE:
            return BAIL
        if self.nodes[f[0]].kind == K_OBJ:
            return self.typed(&p, f)
        return self.plain(&p, f)

    cdef int person_name(self, int idx, bint typed_form, char** out, Py_ssize_t* out_n) noexcept:
        """``_name``: 1 with the name at ``out``, 0 for None, BAIL."""
        cdef int pf[2]
        cdef int w, k
        cdef const char* names[2]
        cdef char* part[2]
        cdef Py_ssize_t plen[2]
        cdef char* s
        cdef Node* nd
        names[0] = b"firstName"
        names[1] = b"lastName"
        if nullish(self.nodes, idx):
            return 0
        if self.nodes[idx].kind != K_OBJ:
            return BAIL  # a person as JSON text (or not an object): the Python path
        if typed_form:
            if only(self.nodes, idx, b"M", &w) < 0 or nullish(self.nodes, w) or self.nodes[w].kind != K_OBJ:
                return BAIL
            idx = w
        if fields(self.nodes, idx, names, 2, pf) < 0:
            return BAIL
        if not typed_form and nullish(self.nodes, pf[0]) and nullish(self.nodes, pf[1]):
            return BAIL  # absent both, or a DynamoDB wrapper: the builder decides
        for k in range(2):
            plen[k] = 0
            part[k] = NULL
            w = pf[k]
            if nullish(self.nodes, w):
                continue
            if typed_form:
                if self.nodes[w].kind != K_OBJ or only(self.nodes, w, b"S", &w) < 0 or w == NONE:
                    return BAIL
            nd = &self.nodes[w]
            if nd.kind != K_STR or str_chars(nd) > MAX_TEXT:
                return BAIL
            s = self.arena + self.arena_n
            self.arena_n += decode(nd, s)
            plen[k] = stripped(s, self.arena + self.arena_n - s, &part[k])
        s = self.arena + self.arena_n
        if plen[0] and plen[1]:
            memcpy(s, part[0], plen[0])
            s[plen[0]] = c' '
            memcpy(s + plen[0] + 1, part[1], plen[1])
            out_n[0] = plen[0] + 1 + plen[1]
        elif plen[0] or plen[1]:
            k = 0 if plen[0] else 1
            memcpy(s, part[k], plen[k])
            out_n[0] = plen[k]
        else:
            return 0
        out[0] = s
        self.arena_n += out_n[0]
        return 1

    cdef int put_name(self, int idx, bint typed_form) noexcept:
        cdef char* s
        cdef Py_ssize_t n
        cdef int r = self.person_name(idx, typed_form, &s, &n)
        if r < 0:
            return BAIL
        if r == 0:
            put_null(&self.out)
        else:
            put_copy(&self.out, s, n)
        return 0

    cdef int put_managers(self, int idx, bint typed_form) noexcept:
        """``caseManagers``: the distinct names, first of each, in order, joined by ", "; NULL if none."""
        cdef int m, r, k, count = 0, w
        cdef char* s
        cdef Py_ssize_t n
        cdef char* seen_s[64]
        cdef Py_ssize_t seen_n[64]
        cdef bint dup
        if nullish(self.nodes, idx):
            put_null(&self.out)
            return 0
        if typed_form:
            if self.nodes[idx].kind != K_OBJ or only(self.nodes, idx, b"L", &w) < 0 or nullish(self.nodes, w):
                return BAIL
            idx = w
        if self.nodes[idx].kind != K_ARR:
            return BAIL  # a list as JSON text: the Python path
        m = self.nodes[idx].child
        while m >= 0:
            if typed_form and nullish(self.nodes, m):
                return BAIL  # a null in a typed list: not an {"M": ...}
            r = self.person_name(m, typed_form, &s, &n)
            if r < 0:
                return BAIL
            if r == 1:
                dup = False
                for k in range(count):
                    if seen_n[k] == n and memcmp(seen_s[k], s, n) == 0:
                        dup = True
                        break
                if not dup:
                    if count == 64:
                        return BAIL
                    seen_s[count] = s
                    seen_n[count] = n
                    count += 1
            m = self.nodes[m].next
        if count == 0:
            put_null(&self.out)
            return 0
        for k in range(count):
            if k:
                put(&self.out, b", ", 2)
            put_copy(&self.out, seen_s[k], seen_n[k])
        return 0


    cdef int plain(self, Parser* p, int* f) noexcept:
        cdef Buf* o = &self.out
        cdef Node* nd
        cdef int firm[4]
        cdef int claim[4]
        cdef int carrier[1]
        cdef int meta[5]
        cdef const char* firm_names[4]
        cdef const char* claim_names[4]
        cdef const char* carrier_names[1]
        cdef const char* meta_names[5]
        firm_names[:] = [b"firmName", b"primaryContact", b"attorney", b"caseManagers"]
        claim_names[:] = [b"claimCoverage", b"claimNumber", b"lossState", b"claimant"]
        carrier_names[0] = b"carrierCommonName"
        meta_names[:] = [b"relatedInsuranceId", b"clientId", b"matterId", b"matterTechId", b"matterName"]
        if (self.plain_object(p, f[4], firm_names, 4, firm) < 0
                or self.plain_object(p, f[5], claim_names, 4, claim) < 0
                or self.plain_object(p, f[6], carrier_names, 1, carrier) < 0
                or self.plain_object(p, f[7], meta_names, 5, meta) < 0):
            return BAIL
        if self.put_ident(f[0], True) < 0:
            return BAIL
        put(o, b"\t", 1)
        if f[1] == NONE:
            return BAIL
        nd = &self.nodes[f[1]]
        if nd.kind != K_INT or not INT32_LO <= nd.ival <= INT32_HI:
            return BAIL
        put_int(o, nd.ival)
        put(o, b"\t", 1)
        if self.put_ident(f[2], False) < 0:
            return BAIL
        put(o, b"\t", 1)
        if self.put_time_node(f[3], False) < 0:
            return BAIL
        put(o, b"\t", 1)
        if (put_text(o, self.nodes, firm[0], MAX_TEXT) < 0 or put(o, b"\t", 1) or self.put_name(firm[1], False) < 0
                or put(o, b"\t", 1) or self.put_name(firm[2], False) < 0 or put(o, b"\t", 1)
                or self.put_plain_managers(firm[3]) < 0 or put(o, b"\t", 1)
                or put_text(o, self.nodes, claim[0], MAX_TEXT) < 0 or put(o, b"\t", 1)
                or put_text(o, self.nodes, claim[1], MAX_ID) < 0 or put(o, b"\t", 1)
                or put_text(o, self.nodes, claim[2], MAX_ID) < 0 or put(o, b"\t", 1)
                or self.put_name(claim[3], False) < 0 or put(o, b"\t", 1)
                or put_text(o, self.nodes, carrier[0], MAX_TEXT) < 0 or put(o, b"\t", 1)
                or self.put_ident(meta[0], False) < 0 or put(o, b"\t", 1)
                or self.put_ident(meta[1], False) < 0 or put(o, b"\t", 1)
                or self.put_ident(meta[2], False) < 0 or put(o, b"\t", 1)
                or self.put_ident(meta[3], False) < 0 or put(o, b"\t", 1)
                or put_text(o, self.nodes, meta[4], MAX_TEXT) < 0):
            return BAIL
        return 0

    cdef int put_plain_managers(self, int idx) noexcept:
        """Plain ``caseManagers``: a list (absent, null, empty: NULL); JSON text → BAIL; an empty text is
        falsy (NULL)."""
        cdef int m
        if not nullish(self.nodes, idx) and self.nodes[idx].kind == K_STR:
            if self.nodes[idx].e == self.nodes[idx].s:
                put_null(&self.out)
                return 0
            return BAIL
        if not nullish(self.nodes, idx) and self.nodes[idx].kind == K_ARR:
            m = self.nodes[idx].child
            while m >= 0:
                if not nullish(self.nodes, m) and self.nodes[m].kind != K_OBJ:
                    return BAIL  # a person as text: the Python path
                m = self.nodes[m].next
        return self.put_managers(idx, False)

    cdef int typed(self, Parser* p, int* f) noexcept:
        cdef Buf* o = &self.out
        cdef int64_t v
        cdef int t, r
        cdef int firm[4]
        cdef int claim[4]
        cdef int carrier[1]
        cdef int meta[5]
        cdef const char* firm_names[4]
        cdef const char* claim_names[4]
        cdef const char* carrier_names[1]
        cdef const char* meta_names[5]
        firm_names[:] = [b"firmName", b"primaryContact", b"attorney", b"caseManagers"]
        claim_names[:] = [b"claimCoverage", b"claimNumber", b"lossState", b"claimant"]
        carrier_names[0] = b"carrierCommonName"
        meta_names[:] = [b"relatedInsuranceId", b"clientId", b"matterId", b"matterTechId", b"matterName"]
        if (self.typed_object(f[4], firm_names, 4, firm) < 0
                or self.typed_object(f[5], claim_names, 4, claim) < 0
                or self.typed_object(f[6], carrier_names, 1, carrier) < 0
                or self.typed_object(f[7], meta_names, 5, meta) < 0):
            return BAIL
        if self.put_typed_ident(f[0], True) < 0:
            return BAIL
        put(o, b"\t", 1)
        if f[1] == NONE or self.nodes[f[1]].kind == K_NULL:
            return BAIL  # version is required
        if self.scalar(f[1], &v, &t) != 1 or not INT32_LO <= v <= INT32_HI:
            return BAIL
        put_int(o, v)
        put(o, b"\t", 1)
        if self.put_typed_ident(f[2], False) < 0:
            return BAIL
        put(o, b"\t", 1)
        if self.put_time_node(f[3], True) < 0:
            return BAIL
        put(o, b"\t", 1)
        if (self.put_wrapped(firm[0], b"S", MAX_TEXT) < 0 or put(o, b"\t", 1)
                or self.put_name(firm[1], True) < 0 or put(o, b"\t", 1)
                or self.put_name(firm[2], True) < 0 or put(o, b"\t", 1)
                or self.put_managers(firm[3], True) < 0 or put(o, b"\t", 1)
                or self.put_wrapped(claim[0], b"S", MAX_TEXT) < 0 or put(o, b"\t", 1)
                or self.put_wrapped(claim[1], b"S", MAX_ID) < 0 or put(o, b"\t", 1)
                or self.put_wrapped(claim[2], b"S", MAX_ID) < 0 or put(o, b"\t", 1)
                or self.put_name(claim[3], True) < 0 or put(o, b"\t", 1)
                or self.put_wrapped(carrier[0], b"S", MAX_TEXT) < 0 or put(o, b"\t", 1)
                or self.put_typed_ident(meta[0], False) < 0 or put(o, b"\t", 1)
                or self.put_typed_ident(meta[1], False) < 0 or put(o, b"\t", 1)
                or self.put_typed_ident(meta[2], False) < 0 or put(o, b"\t", 1)
                or self.put_typed_ident(meta[3], False) < 0 or put(o, b"\t", 1)
                or self.put_wrapped(meta[4], b"S", MAX_TEXT) < 0):
            return BAIL
        return 0


cdef int json_text(Buf* o, Node* nd) noexcept nogil:
    """A K_STR's decoded text written as the JSON string body orjson writes (``"`` and ``\\`` escaped); BAIL for
    a control byte or DEL (orjson's escapes for those are not restated here)."""
    cdef Py_ssize_t i = nd.s
    cdef int c
    while i < nd.e:
        c = <unsigned char>nd.base[i]
        if c == c'\\':
            if nd.base[i + 1] == c'u':
                c = unicode_escape(nd.base + i, 6)
                i += 6
            else:
                c = simple_escape(<unsigned char>nd.base[i + 1])
                i += 2
        else:
            i += 1
        if c < 0x20 or c == 0x7f:
            return BAIL
        if c == c'"' or c == c'\\':
            o.p[o.n] = c'\\'
            o.n += 1
        o.p[o.n] = <char>c
        o.n += 1
    return 0


cdef class MetadataRows(Rows):
    """``rows(line)``: the COPY text of the documents-metadata record in ``line`` (bytes), as
    ``metadata_fast(window)`` gives it (the columns of :func:`~.metadata_builder.build_metadata`); a line this
    path does not take goes to ``fallback(line)``. A status-history entry is taken only in the common form
    (an object with a status of at most 1024 characters, or none, and an epoch time inside the window, or
    none): any entry the builder might drop or note makes the whole line go to the fallback."""

    cdef int build(self, const char* b, Py_ssize_t n) noexcept:
        cdef Parser p
        cdef int top, arr, r
        cdef bint typed_form
        cdef int f[6]
        cdef const char* names[6]
        cdef Buf h
        cdef Buf* o = &self.out
        cdef int64_t rv = 0, av = 0
        cdef int has_r = 0, has_a = 0, has_history = 0
        names[:] = [b"documentId", b"documentType", b"createdTs", b"demandIsDeliverable", b"demandTemplateId",
                    b"documentStatusHistory"]
        p.nodes = self.nodes
        p.count = 0
        if memmem(b, n, b"\\u0000", 6) != NULL:
            return BAIL  # as the Python path: a NUL, the builder names the field
        top = parse_document(&p, b, n)
        if top < 0 or fields(self.nodes, top, names, 6, f) < 0 or f[0] == NONE:
            return BAIL
        typed_form = self.nodes[f[0]].kind == K_OBJ
        arr = self.history_list(&p, f[5], typed_form)
        if arr == BAIL:
            return BAIL
        if arr != NONE and self.nodes[arr].child >= 0:
            h.p = self.arena + self.arena_n
            h.n = 0
            if self.history(&h, arr, typed_form, &rv, &has_r, &av, &has_a) < 0:
                return BAIL
            self.arena_n += h.n
            has_history = 1
        # documentId, documentType, createdTs
        if typed_form:
            if (self.put_typed_ident(f[0], True) < 0 or put(o, b"\t", 1)
                    or self.put_wrapped(f[1], b"S", MAX_ID) < 0 or put(o, b"\t", 1)
                    or self.put_time_node(f[2], True) < 0):
                return BAIL
        elif (self.put_ident(f[0], True) < 0 or put(o, b"\t", 1)
                or put_text(o, self.nodes, f[1], MAX_ID) < 0 or put(o, b"\t", 1)
                or self.put_time_node(f[2], False) < 0):
            return BAIL
        put(o, b"\t", 1)
        # demandIsDeliverable, demandTemplateId
        r = self.typed_flag(f[3]) if typed_form else self.plain_flag(f[3])
        if r < 0:
            return BAIL
        put(o, b"\t", 1)
        if (self.put_typed_ident(f[4], False) if typed_form else self.put_ident(f[4], False)) < 0:
            return BAIL
        put(o, b"\t", 1)
        # received_at, archived_at, status_history
        if has_r:
            write_us(o, rv)
        else:
            put_null(o)
        put(o, b"\t", 1)
        if has_a:
            write_us(o, av)
        else:
            put_null(o)
        put(o, b"\t", 1)
        if has_history:
            put_copy(o, h.p, h.n)
        else:
            put_null(o)
        return 0

    cdef int plain_flag(self, int idx) noexcept:
        """``_flag``: true/false, or the text "true"/"false" in any case with spaces around; BAIL otherwise."""
        cdef Node* nd
        cdef char* s
        cdef char* w
        cdef Py_ssize_t n, k
        cdef char c
        if nullish(self.nodes, idx):
            put_null(&self.out)
            return 0
        nd = &self.nodes[idx]
        if nd.kind == K_BOOL:
            put(&self.out, b"t" if nd.ival else b"f", 1)
            return 0
        if nd.kind != K_STR or str_chars(nd) > 64:
            return BAIL
        s = self.arena + self.arena_n
        n = stripped(s, decode(nd, s), &w)
        if n != 4 and n != 5:
            return BAIL
        for k in range(n):
            c = w[k]
            if c'A' <= c <= c'Z':
                w[k] = c + 32
        if n == 4 and memcmp(w, b"true", 4) == 0:
            put(&self.out, b"t", 1)
            return 0
        if n == 5 and memcmp(w, b"false", 5) == 0:
            put(&self.out, b"f", 1)
            return 0
        return BAIL

    cdef int typed_flag(self, int idx) noexcept:
        """A ``{"BOOL": true|false}`` wrapper; null → NULL."""
        cdef int w
        if nullish(self.nodes, idx):
            put_null(&self.out)
            return 0
        if self.nodes[idx].kind != K_OBJ or only(self.nodes, idx, b"BOOL", &w) < 0 or w == NONE:
            return BAIL
        if self.nodes[w].kind != K_BOOL:
            return BAIL
        put(&self.out, b"t" if self.nodes[w].ival else b"f", 1)
        return 0

    cdef int history_list(self, Parser* p, int idx, bint typed_form) noexcept:
        """The history's list node; NONE when absent, null or blank JSON text; BAIL for another shape."""
        cdef int w, arr
        cdef Node* nd
        cdef char* text
        cdef Py_ssize_t n, a = 0
        if nullish(self.nodes, idx):
            return NONE
        if typed_form:
            if self.nodes[idx].kind != K_OBJ or only(self.nodes, idx, b"L", &w) < 0 or w == NONE:
                return BAIL
            return w if self.nodes[w].kind == K_ARR else BAIL
        if self.nodes[idx].kind == K_ARR:
            return idx
        if self.nodes[idx].kind != K_STR:
            return BAIL
        nd = &self.nodes[idx]  # a list given as JSON text
        text = self.arena + self.arena_n
        n = decode(nd, text)
        self.arena_n += n
        while a < n and is_ws(text[a]):
            a += 1
        if a == n:
            return NONE
        p.b = text
        p.i = 0
        p.n = n
        skip_ws(p)
        arr = parse_value(p, 0)
        if arr < 0 or self.nodes[arr].kind != K_ARR:
            return BAIL
        skip_ws(p)
        return arr if p.i == p.n else BAIL

    cdef int history(self, Buf* h, int arr, bint typed_form, int64_t* rv, int* has_r, int64_t* av,
                     int* has_a) noexcept:
        """The status history as the JSON the Python path writes (``orjson.dumps`` of
        ``[{"documentStatus", "timestamp"}]``), written to ``h``, with the first DocumentReceived and the last
        DocumentArchived time (the first of equal times); BAIL for any entry not in the common form."""
        cdef int m, w, st, ts, t, r
        cdef int sf[2]
        cdef const char* names[2]
        cdef Node* nd
        cdef int64_t us
        cdef Py_ssize_t start, slen = 0
        cdef bint first = True
        names[0] = b"documentStatus"
        names[1] = b"timestamp"
        put(h, b"[", 1)
        m = self.nodes[arr].child
        while m >= 0:
            nd = &self.nodes[m]
            if nd.kind == K_NULL:
                if typed_form:
                    return BAIL  # a null in a typed list: not an {"M": ...}
                m = nd.next
                continue  # skipped, as the builder does
            if nd.kind != K_OBJ:
                return BAIL  # an entry as text, or not an object: the Python path, then the builder
            w = m
            if typed_form and (only(self.nodes, m, b"M", &w) < 0 or nullish(self.nodes, w)
                               or self.nodes[w].kind != K_OBJ):
                return BAIL
            if fields(self.nodes, w, names, 2, sf) < 0:
                return BAIL
            st, ts = sf[0], sf[1]
            if not typed_form and nullish(self.nodes, st) and nullish(self.nodes, ts):
                return BAIL  # absent both, or a DynamoDB wrapper: the builder decides
            if typed_form and not nullish(self.nodes, st):
                if (self.nodes[st].kind != K_OBJ or only(self.nodes, st, b"S", &st) < 0
                        or nullish(self.nodes, st)):
                    return BAIL  # {"S": null} or {}: not a status wrapper
            us = self.node_us(ts, typed_form)
            if us == T_BAIL:
                return BAIL  # outside the window, not a time, an unusual form: the builder decides (and notes)
            if not first:
                put(h, b",", 1)
            first = False
            put(h, b'{"documentStatus":', 18)
            start = slen = 0
            if nullish(self.nodes, st):
                put(h, b"null", 4)
            else:
                if self.nodes[st].kind != K_STR or str_chars(&self.nodes[st]) > MAX_ID:
                    return BAIL
                put(h, b'"', 1)
                start = h.n
                if json_text(h, &self.nodes[st]) < 0:
                    return BAIL
                slen = h.n - start  # the JSON body: equal to a status name only if the decoded text is
                put(h, b'"', 1)
            put(h, b',"timestamp":', 13)
            if us != T_NONE:
                put(h, b'"', 1)
                if write_us(h, us) < 0:
                    return BAIL
                put(h, b'"', 1)
                if slen == 16 and memcmp(h.p + start, b"DocumentReceived", 16) == 0:
                    if not has_r[0] or us < rv[0]:
                        has_r[0], rv[0] = 1, us
                elif slen == 16 and memcmp(h.p + start, b"DocumentArchived", 16) == 0:
                    if not has_a[0] or av[0] < us:
                        has_a[0], av[0] = 1, us
            else:
                put(h, b"null", 4)
            put(h, b"}", 1)
            m = self.nodes[m].next
        put(h, b"]", 1)
        return 0


cdef class AuditRows(Rows):
    """``rows(line)``: the COPY text of the documents-audit record in ``line`` (bytes), as
    ``audit_fast(window)`` gives it (the columns of :func:`~.audit_builder.build_audit`); a line this path
    does not take goes to ``fallback(line)``."""

    cdef int build(self, const char* b, Py_ssize_t n) noexcept:
        cdef Parser p
        cdef int top, t, r
        cdef int64_t v
        cdef int f[5]
        cdef int pl[2]
        cdef const char* names[5]
        cdef const char* payload_names[2]
        cdef Buf* o = &self.out
        names[:] = [b"auditRecordId", b"documentId", b"createdTs", b"actionType", b"payload"]
        payload_names[0] = b"archiveReason"
        payload_names[1] = b"archiveComments"
        p.nodes = self.nodes
        p.count = 0
        if memmem(b, n, b"\\u0000", 6) != NULL:
            return BAIL  # as the Python path: a NUL, the builder names the field
        top = parse_document(&p, b, n)
        if top < 0 or fields(self.nodes, top, names, 5, f) < 0 or f[0] == NONE:
            return BAIL
        if self.nodes[f[0]].kind == K_OBJ:  # DynamoDB typing
            if (self.typed_object(f[4], payload_names, 2, pl) < 0
                    or self.put_typed_ident(f[0], True) < 0 or put(o, b"\t", 1)
                    or self.put_typed_ident(f[1], True) < 0 or put(o, b"\t", 1)):
                return BAIL
            if self.put_time_node(f[2], True) < 0:
                return BAIL  # outside the window, or an unusual form: the Python path
            if (put(o, b"\t", 1) or self.put_wrapped(f[3], b"S", MAX_ID) < 0 or put(o, b"\t", 1)
                    or self.put_wrapped(pl[0], b"S", MAX_TEXT) < 0 or put(o, b"\t", 1)
                    or self.put_wrapped(pl[1], b"S", MAX_TEXT) < 0):
                return BAIL
            return 0
        if (self.plain_object(&p, f[4], payload_names, 2, pl) < 0
                or self.put_ident(f[0], True) < 0 or put(o, b"\t", 1)
                or self.put_ident(f[1], True) < 0 or put(o, b"\t", 1)):
            return BAIL
        if self.put_time_node(f[2], False) < 0:
            return BAIL
        if (put(o, b"\t", 1) or put_text(o, self.nodes, f[3], MAX_ID) < 0 or put(o, b"\t", 1)
                or put_text(o, self.nodes, pl[0], MAX_TEXT) < 0 or put(o, b"\t", 1)
                or put_text(o, self.nodes, pl[1], MAX_TEXT) < 0):
            return BAIL
        return 0
