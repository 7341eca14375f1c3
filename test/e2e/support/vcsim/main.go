// A vCenter simulator for the end-to-end tests: govmomi's vcsim (simulator.VPX) with its vAPI REST
// endpoints, on 127.0.0.1 with the TLS certificate and key given by path (vcsim's own is 1024-bit
// RSA, which node refuses). Prints "url <https://host:port>", then "ready"; stops when stdin closes
// or on SIGTERM. Built by scripts/test-peers.ts from Debian's golang-github-vmware-govmomi-dev.
package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator" // registers /rest (the vAPI endpoints)
)

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: vcsim <cert.pem> <key.pem>")
	}
	cert, err := tls.LoadX509KeyPair(os.Args[1], os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	model := simulator.VPX()
	if err := model.Create(); err != nil {
		log.Fatal(err)
	}
	defer model.Remove()
	model.Service.RegisterEndpoints = true
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	model.Service.Listen = &url.URL{Host: "127.0.0.1:0"}
	if user := os.Getenv("VCSIM_USERNAME"); user != "" { // the SOAP login's user; the vAPI takes any
		model.Service.Listen.User = url.UserPassword(user, os.Getenv("VCSIM_PASSWORD"))
	}
	server := model.Service.NewServer()
	defer server.Close()
	fmt.Printf("url %s://%s\nready\n", server.URL.Scheme, server.URL.Host)

	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	select {
	case <-stdinClosed:
	case <-signals:
	}
}
