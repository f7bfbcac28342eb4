// ImageCodecs module
