// The product store over HTTP for the Go peer (STORE_URL), as turbina's HttpStore does it:
// a bounded keep-alive pool (64 connections, turbina's STORE_MAX_SOCKETS default), one
// attempt per call bounded by STORE_TIMEOUT_MS, the body decoded and checked member by
// member before it is served, a 404 passed through. No retries, no circuit breaker and
// no stale copies: a failed call is the client's 502 (504 when it timed out).
package main

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	maxStoreConns = 64
	maxStoreBody  = 1 << 20
)

type upstream struct {
	base   string
	client *http.Client
}

func newUpstream(base string, timeout time.Duration) *upstream {
	transport := &http.Transport{
		MaxConnsPerHost:     maxStoreConns,
		MaxIdleConns:        maxStoreConns,
		MaxIdleConnsPerHost: maxStoreConns,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true, // the wire format is plain JSON, as turbina asks for it
	}
	return &upstream{base: strings.TrimRight(base, "/"), client: &http.Client{Transport: transport, Timeout: timeout}}
}

// The wire format with every member required: a pointer stays nil when it is missing.
type wirePrice struct {
	Amount   *float64 `json:"amount"`
	Currency *string  `json:"currency"`
}

type wireProduct struct {
	ID          *int64     `json:"id"`
	SKU         *string    `json:"sku"`
	Name        *string    `json:"name"`
	Description *string    `json:"description"`
	Category    *string    `json:"category"`
	Price       *wirePrice `json:"price"`
	Stock       *int       `json:"stock"`
	Tags        *[]string  `json:"tags"`
	UpdatedAt   *string    `json:"updatedAt"`
}

// get fetches product id: the product and 200, or the status to answer with instead.
func (u *upstream) get(id int64) (product, int) {
	req, _ := http.NewRequest(http.MethodGet, u.base+"/products/"+strconv.FormatInt(id, 10), nil)
	req.Header.Set("Accept", "application/json")
	res, err := u.client.Do(req)
	if err != nil {
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			return product{}, http.StatusGatewayTimeout
		}
		return product{}, http.StatusBadGateway
	}
	// Read to the end (and closed) so the connection goes back to the pool.
	body, err := io.ReadAll(io.LimitReader(res.Body, maxStoreBody+1))
	res.Body.Close()
	switch {
	case err != nil:
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			return product{}, http.StatusGatewayTimeout
		}
		return product{}, http.StatusBadGateway
	case res.StatusCode == http.StatusNotFound:
		return product{}, http.StatusNotFound
	case res.StatusCode != http.StatusOK, len(body) > maxStoreBody:
		return product{}, http.StatusBadGateway
	}
	var w wireProduct
	if json.Unmarshal(body, &w) != nil {
		return product{}, http.StatusBadGateway
	}
	p, ok := w.valid(id)
	if !ok {
		return product{}, http.StatusBadGateway
	}
	return p, http.StatusOK
}

// valid checks the members as turbina's readProduct does and rebuilds the product from them.
func (w wireProduct) valid(id int64) (product, bool) {
	if w.ID == nil || *w.ID != id || w.SKU == nil || w.Name == nil || w.Description == nil || w.Category == nil ||
		w.Price == nil || w.Price.Amount == nil || w.Price.Currency == nil || w.Stock == nil || w.Tags == nil || w.UpdatedAt == nil {
		return product{}, false
	}
	amount := *w.Price.Amount
	if math.IsNaN(amount) || math.IsInf(amount, 0) || amount < 0 || *w.Price.Currency != "USD" || *w.Stock < 0 {
		return product{}, false
	}
	if _, err := time.Parse(time.RFC3339Nano, *w.UpdatedAt); err != nil {
		return product{}, false
	}
	return product{
		ID: id, SKU: *w.SKU, Name: *w.Name, Description: *w.Description, Category: *w.Category,
		Price: price{Amount: amount, Currency: "USD"}, Stock: *w.Stock, Tags: *w.Tags, UpdatedAt: *w.UpdatedAt,
	}, true
}
