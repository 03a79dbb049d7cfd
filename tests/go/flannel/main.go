// flannel: a test stand-in for k3s's flannel CNI plugin (flannel-io/cni-plugin), the caller of
// eve-bridge's eth0 on an EVE node. It behaves as that plugin does, from the facts in
// ../shared/reference/eve-node.md, and delegates through libcni's invoke package as it does:
//
//   - ADD reads the subnet file (FLANNEL_NETWORK, FLANNEL_SUBNET, FLANNEL_MTU, FLANNEL_IPMASQ),
//     rewrites its `delegate` (name and cniVersion from its own config; type "bridge" unless
//     named; ipMasq = !FLANNEL_IPMASQ and mtu = FLANNEL_MTU unless present; isGateway only for
//     type "bridge"; ipam = its own ipam with type host-local by default, ranges = the
//     FLANNEL_SUBNET network, routes = its own ipam routes plus FLANNEL_NETWORK), saves that
//     config as <dataDir>/<containerID> and calls the delegate's ADD with it.
//   - DEL reads the saved config (none: success without calling anyone), calls the delegate's
//     DEL with it, and removes the file WHATEVER the delegate returned (flannel's deferred
//     clean-up sees the read's error, not the delegate's).
//   - CHECK does nothing.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/cni/pkg/version"
)

const (
	defaultSubnetFile = "/run/flannel/subnet.env"
	defaultDataDir    = "/var/lib/cni/flannel"
)

type netConf struct {
	types.NetConf
	IPAM          map[string]interface{} `json:"ipam,omitempty"`
	SubnetFile    string                 `json:"subnetFile"`
	DataDir       string                 `json:"dataDir"`
	Delegate      map[string]interface{} `json:"delegate"`
	RuntimeConfig map[string]interface{} `json:"runtimeConfig,omitempty"`
}

type subnetEnv struct {
	networks []string
	subnet   string
	mtu      *uint64
	ipMasq   *bool
}

func loadConf(stdin []byte) (*netConf, error) {
	n := &netConf{SubnetFile: defaultSubnetFile, DataDir: defaultDataDir}
	if err := json.Unmarshal(stdin, n); err != nil {
		return nil, fmt.Errorf("failed to load netconf: %v", err)
	}
	return n, nil
}

// networkOf gives a CIDR's network in Go's text form ("10.42.0.1/24" -> "10.42.0.0/24").
func networkOf(cidr string) (string, error) {
	_, network, err := net.ParseCIDR(strings.TrimSpace(cidr))
	if err != nil {
		return "", err
	}
	return network.String(), nil
}

func loadSubnetEnv(path string) (*subnetEnv, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	env := &subnetEnv{}
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		key, value, _ := strings.Cut(scanner.Text(), "=")
		switch key {
		case "FLANNEL_NETWORK":
			for _, cidr := range strings.Split(value, ",") {
				network, err := networkOf(cidr)
				if err != nil {
					return nil, err
				}
				env.networks = append(env.networks, network)
			}
		case "FLANNEL_SUBNET":
			if env.subnet, err = networkOf(value); err != nil {
				return nil, err
			}
		case "FLANNEL_MTU":
			mtu, err := strconv.ParseUint(value, 10, 32)
			if err != nil {
				return nil, err
			}
			env.mtu = &mtu
		case "FLANNEL_IPMASQ":
			ipMasq := value == "true"
			env.ipMasq = &ipMasq
		}
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	if len(env.networks) == 0 || env.subnet == "" || env.mtu == nil || env.ipMasq == nil {
		return nil, fmt.Errorf("%s is missing FLANNEL_NETWORK, FLANNEL_SUBNET, FLANNEL_MTU or FLANNEL_IPMASQ", path)
	}
	return env, nil
}

// delegateIPAM: flannel's own ipam (if any), type host-local by default, the node's subnet as
// the only range and the cluster network appended to the routes.
func delegateIPAM(n *netConf, env *subnetEnv) map[string]interface{} {
	ipam := map[string]interface{}{}
	for k, v := range n.IPAM {
		ipam[k] = v
	}
	if _, ok := ipam["type"]; !ok {
		ipam["type"] = "host-local"
	}
	ipam["ranges"] = []interface{}{[]interface{}{map[string]interface{}{"subnet": env.subnet}}}
	routes := []interface{}{}
	if given, ok := ipam["routes"].([]interface{}); ok {
		routes = append(routes, given...)
	}
	for _, network := range env.networks {
		routes = append(routes, map[string]interface{}{"dst": network})
	}
	ipam["routes"] = routes
	return ipam
}

func delegateConf(n *netConf, env *subnetEnv) map[string]interface{} {
	d := n.Delegate
	d["name"] = n.Name
	if _, ok := d["type"]; !ok {
		d["type"] = "bridge"
	}
	if _, ok := d["ipMasq"]; !ok {
		d["ipMasq"] = !*env.ipMasq
	}
	if _, ok := d["mtu"]; !ok {
		d["mtu"] = *env.mtu
	}
	if d["type"] == "bridge" {
		if _, ok := d["isGateway"]; !ok {
			d["isGateway"] = true
		}
	}
	if n.CNIVersion != "" {
		d["cniVersion"] = n.CNIVersion
	}
	d["ipam"] = delegateIPAM(n, env)
	return d
}

func cmdAdd(args *skel.CmdArgs) error {
	n, err := loadConf(args.StdinData)
	if err != nil {
		return err
	}
	env, err := loadSubnetEnv(n.SubnetFile)
	if err != nil {
		return fmt.Errorf("failed to load flannel 'subnet.env' file: %w", err)
	}
	if n.Delegate == nil {
		n.Delegate = map[string]interface{}{}
	}
	if t, ok := n.Delegate["type"]; ok {
		if _, isString := t.(string); !isString {
			return errors.New("'delegate' dictionary, if present, must have (string) 'type' field")
		}
	}
	for _, reserved := range []string{"name", "ipam"} {
		if _, ok := n.Delegate[reserved]; ok {
			return fmt.Errorf("'delegate' dictionary must not have '%s' field, it'll be set by flannel", reserved)
		}
	}
	if n.RuntimeConfig != nil {
		n.Delegate["runtimeConfig"] = n.RuntimeConfig
	}
	conf := delegateConf(n, env)
	bytes, err := json.Marshal(conf)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(n.DataDir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(n.DataDir, args.ContainerID), bytes, 0o600); err != nil {
		return err
	}
	result, err := invoke.DelegateAdd(context.TODO(), conf["type"].(string), bytes, nil)
	if err != nil {
		return fmt.Errorf("failed to delegate add: %w", err)
	}
	return result.Print()
}

func cmdDel(args *skel.CmdArgs) error {
	n, err := loadConf(args.StdinData)
	if err != nil {
		return err
	}
	path := filepath.Join(n.DataDir, args.ContainerID)
	saved, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	// Removed whatever the delegate returns: the behaviour observed of flannel.
	defer os.Remove(path)
	conf := &types.NetConf{}
	if err := json.Unmarshal(saved, conf); err != nil {
		fmt.Fprintf(os.Stderr, "failed to parse netconf: %v", err)
		return nil
	}
	return invoke.DelegateDel(context.TODO(), conf.Type, saved, nil)
}

func cmdCheck(_ *skel.CmdArgs) error {
	return nil
}

func main() {
	skel.PluginMain(cmdAdd, cmdCheck, cmdDel, version.All, "flannel (eve-cni test stand-in)")
}
