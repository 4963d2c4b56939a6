// The Go peer: net/http with the seed study's handler shape for /io (a goroutine, a
// channel and time.Sleep), and /products/{id} and /products?offset&limit from a TTL cache
// (CACHE_TTL_MS) of encoded JSON (and, for pages, its gzip bytes) behind a RWMutex, a miss
// sleeping STORE_LATENCY_MS like turbina's simulated store. With STORE_URL, a product miss
// is fetched from that upstream instead (see upstream.go); pages stay simulated.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type price struct {
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
}

type product struct {
	ID          int64    `json:"id"`
	SKU         string   `json:"sku"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Category    string   `json:"category"`
	Price       price    `json:"price"`
	Stock       int      `json:"stock"`
	Tags        []string `json:"tags"`
	UpdatedAt   string   `json:"updatedAt"`
}

type entry struct {
	body      []byte
	gzip      []byte
	etag      string
	expiresAt time.Time
}

const lastModified = "Sat, 25 Apr 2026 03:59:46 GMT"

func newEntry(value any, compress bool) entry {
	body, _ := json.Marshal(value)
	sum := sha1.Sum(body)
	e := entry{body: body, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:])[:22] + `"`, expiresAt: time.Now().Add(ttl)}
	if compress {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		e.gzip = buf.Bytes()
	}
	return e
}

func lookup(key string) (entry, bool) {
	mu.RLock()
	e, ok := cache[key]
	mu.RUnlock()
	return e, ok && time.Now().Before(e.expiresAt)
}

func remember(key string, e entry) {
	mu.Lock()
	if len(cache) >= 10000 {
		for k := range cache { // evict an arbitrary entry: Go maps have no order
			delete(cache, k)
			break
		}
	}
	cache[key] = e
	mu.Unlock()
}

var (
	mu           sync.RWMutex
	cache        = map[string]entry{}
	ttl          = 30 * time.Second
	storeLatency = 20 * time.Millisecond
	counter      uint64
	store        *upstream // nil: the simulated store
)

func makeProduct(id int64) product {
	return product{
		ID: id, SKU: fmt.Sprintf("TRB-%08d", id), Name: "Bright Cotton Clock",
		Description: "The bright cotton clock: a favourite of reviewers this season, light enough to carry anywhere.",
		Category:    "home", Price: price{Amount: 344.38, Currency: "USD"}, Stock: 280,
		Tags: []string{"eco", "new"}, UpdatedAt: "2026-04-25T03:59:46.000Z",
	}
}

func send(w http.ResponseWriter, r *http.Request, e entry, status string) {
	body := e.body
	h := w.Header()
	if e.gzip != nil && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		body = e.gzip
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Type", "application/json")
	h.Set("X-Request-Id", "go000000-"+strconv.FormatUint(atomic.AddUint64(&counter, 1), 36))
	h.Set("Vary", "Accept-Encoding")
	h.Set("Etag", e.etag)
	h.Set("Last-Modified", lastModified)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Cache", status)
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(time.Until(e.expiresAt).Seconds())))
	w.Write(body)
}

func products(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/products/")
	if e, ok := lookup(id); ok {
		send(w, r, e, "HIT")
		return
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		http.Error(w, "bad id", http.StatusBadRequest)
		return
	}
	var p product
	if store != nil {
		var status int
		if p, status = store.get(n); status != http.StatusOK {
			http.Error(w, http.StatusText(status), status)
			return
		}
	} else {
		time.Sleep(storeLatency)
		p = makeProduct(n)
	}
	e := newEntry(p, false)
	remember(id, e)
	send(w, r, e, "MISS")
}

type page struct {
	Items      []product `json:"items"`
	Total      int       `json:"total"`
	Offset     int       `json:"offset"`
	Limit      int       `json:"limit"`
	NextOffset *int      `json:"nextOffset"`
}

func list(w http.ResponseWriter, r *http.Request) {
	key := r.URL.RawQuery
	if e, ok := lookup("list:" + key); ok {
		send(w, r, e, "HIT")
		return
	}
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil {
		limit = 20
	}
	time.Sleep(storeLatency)
	p := page{Items: []product{}, Total: 10000, Offset: offset, Limit: limit}
	for id := offset + 1; id <= offset+limit && id <= p.Total; id++ {
		p.Items = append(p.Items, makeProduct(int64(id)))
	}
	if next := offset + len(p.Items); next < p.Total {
		p.NextOffset = &next
	}
	e := newEntry(p, true)
	remember("list:"+key, e)
	send(w, r, e, "MISS")
}

func simulatedIO(w http.ResponseWriter, r *http.Request) {
	ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
	if err != nil {
		ms = 1
	}
	done := make(chan bool)
	go func() {
		time.Sleep(time.Duration(ms) * time.Millisecond)
		done <- true
	}()
	<-done
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"message":"ok"}`))
}

// The startup measurement's probe (npm run bench -- --startup).
func healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"status":"ok"}`))
}

func main() {
	if v, err := strconv.Atoi(os.Getenv("STORE_LATENCY_MS")); err == nil {
		storeLatency = time.Duration(v) * time.Millisecond
	}
	if v, err := strconv.Atoi(os.Getenv("CACHE_TTL_MS")); err == nil && v > 0 {
		ttl = time.Duration(v) * time.Millisecond
	}
	if url := os.Getenv("STORE_URL"); url != "" {
		timeout := time.Second // turbina's STORE_TIMEOUT_MS default
		if v, err := strconv.Atoi(os.Getenv("STORE_TIMEOUT_MS")); err == nil && v > 0 {
			timeout = time.Duration(v) * time.Millisecond
		}
		store = newUpstream(url, timeout)
	}
	http.HandleFunc("/io", simulatedIO)
	http.HandleFunc("/products/", products)
	http.HandleFunc("/products", list)
	http.HandleFunc("/healthz", healthz)
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	if err := http.ListenAndServe("127.0.0.1:"+port, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
