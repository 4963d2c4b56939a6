// The Go peer: net/http with the seed study's handler shape for /io (a goroutine, a
// channel and time.Sleep), and /products/{id} from a TTL cache of encoded JSON behind a
// RWMutex, a miss sleeping STORE_LATENCY_MS like turbina's simulated store.
package main

import (
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
	expiresAt time.Time
}

var (
	mu           sync.RWMutex
	cache        = map[string]entry{}
	ttl          = 30 * time.Second
	storeLatency = 20 * time.Millisecond
	counter      uint64
)

func makeProduct(id int64) product {
	return product{
		ID: id, SKU: fmt.Sprintf("TRB-%08d", id), Name: "Bright Cotton Clock",
		Description: "The bright cotton clock: a favourite of reviewers this season, light enough to carry anywhere.",
		Category:    "home", Price: price{Amount: 344.38, Currency: "USD"}, Stock: 280,
		Tags: []string{"eco", "new"}, UpdatedAt: "2026-04-25T03:59:46.000Z",
	}
}

func send(w http.ResponseWriter, e entry, status string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(e.body)))
	h.Set("X-Request-Id", "go000000-"+strconv.FormatUint(atomic.AddUint64(&counter, 1), 36))
	h.Set("X-Cache", status)
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(time.Until(e.expiresAt).Seconds())))
	w.Write(e.body)
}

func products(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/products/")
	mu.RLock()
	e, ok := cache[id]
	mu.RUnlock()
	if ok && time.Now().Before(e.expiresAt) {
		send(w, e, "HIT")
		return
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		http.Error(w, "bad id", http.StatusBadRequest)
		return
	}
	time.Sleep(storeLatency)
	body, _ := json.Marshal(makeProduct(n))
	e = entry{body: body, expiresAt: time.Now().Add(ttl)}
	mu.Lock()
	if len(cache) >= 10000 {
		for k := range cache { // evict an arbitrary entry: Go maps have no order
			delete(cache, k)
			break
		}
	}
	cache[id] = e
	mu.Unlock()
	send(w, e, "MISS")
}

func io(w http.ResponseWriter, r *http.Request) {
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

func main() {
	if v, err := strconv.Atoi(os.Getenv("STORE_LATENCY_MS")); err == nil {
		storeLatency = time.Duration(v) * time.Millisecond
	}
	http.HandleFunc("/io", io)
	http.HandleFunc("/products/", products)
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	if err := http.ListenAndServe("127.0.0.1:"+port, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
