"""What cvm knows about Kubernetes itself: the contract's labels and object names, kubeconfigs, quantities,
and the one place where a plain manifest becomes a Pulumi resource (`register`, the only module here that
imports the Kubernetes SDK)."""
