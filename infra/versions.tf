terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.10, < 7"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.6, < 4"
    }
  }

  # State lives in a GCS bucket created once by hand (docs/operations/deploy.md):
  #   terraform init -backend-config="bucket=<state bucket>" -backend-config="prefix=segp"
  backend "gcs" {}
}

provider "google" {
  project = var.project_id
  region  = var.region
}

data "google_project" "this" {
  project_id = var.project_id
}
