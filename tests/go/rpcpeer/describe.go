package main

// What the Go side decoded, spelled out byte by byte, so a test on the other side of the
// wire can check Go's view (MAC bytes, IP length, mask bytes, nil vs empty) rather than
// trusting a round trip through its own codec.

import (
	"encoding/hex"
	"encoding/json"
	"net"
)

type ifaceView struct {
	Name      string
	MACHex    string // "" for nil
	MACNil    bool
	NetNsPath string
}

type ipNetView struct {
	Nil     bool
	IP      string
	IPLen   int
	MaskHex string
	Prefix  int
	Bits    int
}

type ipView struct {
	Text string // net.IP.String(); "<nil>" for nil
	Nil  bool
	Len  int
}

type ipamView struct {
	IPsNil    bool
	IPs       []map[string]interface{}
	RoutesNil bool
	Routes    []map[string]interface{}
	DNS       map[string]interface{}
}

type argsView struct {
	PodName         string
	PodNetNsPath    string
	PodNamespace    string
	PodInterface    ifaceView
	NetworkInstance string
	IPAM            *ipamView `json:",omitempty"`
}

func viewIface(i NetInterfaceWithNs) ifaceView {
	return ifaceView{Name: i.Name, MACHex: hex.EncodeToString(i.MAC), MACNil: i.MAC == nil, NetNsPath: i.NetNsPath}
}

func viewIPNet(n *net.IPNet) ipNetView {
	if n == nil {
		return ipNetView{Nil: true}
	}
	ones, bits := n.Mask.Size()
	return ipNetView{IP: n.IP.String(), IPLen: len(n.IP), MaskHex: hex.EncodeToString(n.Mask), Prefix: ones, Bits: bits}
}

func viewIP(ip net.IP) ipView {
	return ipView{Text: ip.String(), Nil: ip == nil, Len: len(ip)}
}

func viewStrings(s []string) map[string]interface{} {
	return map[string]interface{}{"Nil": s == nil, "Values": s}
}

func viewCommon(c CommonCNIRPCArgs) argsView {
	return argsView{
		PodName:         c.Pod.Name,
		PodNetNsPath:    c.Pod.NetNsPath,
		PodNamespace:    c.Pod.Namespace,
		PodInterface:    viewIface(c.PodInterface),
		NetworkInstance: c.NetworkInstance,
	}
}

func viewIPAM(p PodIPAMConfig) *ipamView {
	v := &ipamView{IPsNil: p.IPs == nil, RoutesNil: p.Routes == nil}
	for _, ip := range p.IPs {
		v.IPs = append(v.IPs, map[string]interface{}{"Address": viewIPNet(ip.Address), "Gateway": viewIP(ip.Gateway)})
	}
	for _, r := range p.Routes {
		v.Routes = append(v.Routes, map[string]interface{}{"Dst": viewIPNet(r.Dst), "GW": viewIP(r.GW)})
	}
	v.DNS = map[string]interface{}{
		"Nameservers": viewStrings(p.DNS.Nameservers),
		"Domain":      p.DNS.Domain,
		"Search":      viewStrings(p.DNS.Search),
		"Options":     viewStrings(p.DNS.Options),
	}
	return v
}

// describeArgs renders any Args value as JSON text.
func describeArgs(args interface{}) string {
	var view argsView
	switch a := args.(type) {
	case *ConnectPodAtL2Args:
		view = viewCommon(a.CommonCNIRPCArgs)
	case *ConnectPodAtL3Args:
		view = viewCommon(a.CommonCNIRPCArgs)
		view.IPAM = viewIPAM(a.PodIPAMConfig)
	case *DisconnectPodArgs:
		view = viewCommon(a.CommonCNIRPCArgs)
	case *CheckPodConnectionArgs:
		view = viewCommon(a.CommonCNIRPCArgs)
	}
	out, _ := json.Marshal(view)
	return string(out)
}
