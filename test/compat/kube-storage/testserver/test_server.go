/*
capstan's stand-in for k8s.io/apiserver/pkg/storage/etcd3/testserver (Apache-2.0, The Kubernetes
Authors, same package API). scripts/kube-storage-tests.sh copies it over the upstream file in a private
copy of k8s.io/apiserver, so the etcd3 storage tests (and the shared storage tests they run) talk to a
fresh capstan member process instead of an embedded etcd — the way kine runs them.

Each RunEtcd starts its own member on its own data dir: the tests expect an empty store whose
revision starts at 1.
*/

package testserver

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
)

const (
	readyTimeout = 60 * time.Second
	stopTimeout  = 10 * time.Second
	logTailBytes = 8000
)

func getAvailablePorts(count int) ([]int, error) {
	ports := []int{}
	for i := 0; i < count; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("could not bind to a port: %v", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// NewTestConfig keeps upstream's signature: tests adjust fields of it (the progress notify interval)
// before RunEtcd, which turns the ones capstan has into its flags.
func NewTestConfig(t testing.TB) *embed.Config {
	cfg := embed.NewConfig()
	cfg.UnsafeNoFsync = true
	ports, err := getAvailablePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	clientURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))}
	peerURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))}
	cfg.ListenPeerUrls = []url.URL{peerURL}
	cfg.AdvertisePeerUrls = []url.URL{peerURL}
	cfg.ListenClientUrls = []url.URL{clientURL}
	cfg.AdvertiseClientUrls = []url.URL{clientURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.Dir = t.TempDir()
	os.Chmod(cfg.Dir, 0700)
	return cfg
}

func capstanCommand(cfg *embed.Config, logFile *os.File) (*exec.Cmd, error) {
	main := os.Getenv("CAPSTAN_MAIN")
	if main == "" {
		return nil, fmt.Errorf("CAPSTAN_MAIN is not set (path to capstan's dist/src/server/main.js)")
	}
	node := os.Getenv("CAPSTAN_NODE")
	if node == "" {
		node = "node"
	}
	if !cfg.ClientTLSInfo.Empty() || !cfg.PeerTLSInfo.Empty() {
		return nil, fmt.Errorf("capstan test server: TLS configs are not translated to flags")
	}
	client := cfg.ListenClientUrls[0].String()
	peer := cfg.ListenPeerUrls[0].String()
	args := []string{
		main,
		"--name=" + cfg.Name,
		"--data-dir=" + filepath.Join(cfg.Dir, "capstan"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=" + cfg.Name + "=" + peer,
		"--log-level=warn",
	}
	if cfg.UnsafeNoFsync {
		args = append(args, "--unsafe-no-fsync=true")
	}
	if cfg.ExperimentalWatchProgressNotifyInterval > 0 {
		args = append(args, "--experimental-watch-progress-notify-interval="+cfg.ExperimentalWatchProgressNotifyInterval.String())
	}
	cmd := exec.Command(node, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	return cmd, nil
}

func logTail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(data) > logTailBytes {
		data = data[len(data)-logTailBytes:]
	}
	return string(data)
}

// RunEtcd starts a capstan member for the config (or NewTestConfig(t) if nil) and returns a client
// connected to it. The member is killed when the test ends.
func RunEtcd(t testing.TB, cfg *embed.Config) *clientv3.Client {
	t.Helper()
	if cfg == nil {
		cfg = NewTestConfig(t)
	}
	logPath := filepath.Join(cfg.Dir, "capstan.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := capstanCommand(cfg, logFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start capstan: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		select {
		case <-exited:
		case <-time.After(stopTimeout):
			t.Errorf("capstan %d still running %v after SIGKILL", cmd.Process.Pid, stopTimeout)
		}
		logFile.Close()
		if t.Failed() {
			t.Logf("capstan log (tail):\n%s", logTail(logPath))
		}
	})

	endpoint := strings.TrimPrefix(cfg.ListenClientUrls[0].String(), "http://")
	client, err := clientv3.New(clientv3.Config{
		Endpoints: []string{endpoint},
		// No WithBlock here: a node process can take longer than a dial timeout to start on a busy
		// machine; readiness is the Status loop below, bounded by readyTimeout.
		DialTimeout: 10 * time.Second,
		Logger:      zaptest.NewLogger(t, zaptest.Level(zapcore.ErrorLevel)).Named("etcd-client"),
	})
	if err != nil {
		t.Fatalf("cannot connect to capstan at %s: %v\n%s", endpoint, err, logTail(logPath))
	}
	deadline := time.Now().Add(readyTimeout)
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err = client.Status(ctx, endpoint)
		cancel()
		if err == nil {
			break
		}
		select {
		case <-exited:
			t.Fatalf("capstan exited before it was ready:\n%s", logTail(logPath))
		default:
		}
		if time.Now().After(deadline) || attempt > 600 {
			t.Fatalf("capstan not ready in %v: %v\n%s", readyTimeout, err, logTail(logPath))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Cleanup(func() { client.Close() })
	return client
}
