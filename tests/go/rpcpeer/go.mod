module eve-cni/tests/go/rpcpeer

go 1.19
