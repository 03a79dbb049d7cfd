module eve-cni/tests/go/flannel

go 1.19

require github.com/containernetworking/cni v1.1.2

// Debian's golang-github-appc-cni-dev (scripts/install.sh installs it): builds offline.
replace github.com/containernetworking/cni => /usr/share/gocode/src/github.com/containernetworking/cni
