"""Payment methods: mobile money, cards and bank accounts."""
